package dev.legato.worker.internal.execute;

/**
 * The monotonic clock durations are measured with ({@link System#nanoTime()}), never the wall
 * clock, which may jump (docs/protocol.md, "Worker behaviour in v2").
 */
public final class Monotonic {
  private Monotonic() {}

  /** Milliseconds of {@link System#nanoTime()} (an arbitrary origin; only differences count). */
  public static long millis() {
    return System.nanoTime() / 1_000_000;
  }
}
