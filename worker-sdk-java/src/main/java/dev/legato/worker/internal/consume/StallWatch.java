package dev.legato.worker.internal.consume;

import java.util.Map;

/**
 * The stall rule of one action's consumer (docs/observability.md, "A consumer that stops"): records
 * wait in its assigned partitions, a handler slot is free, and nothing was fetched for the stall
 * timeout. Fed one observation per check; says when the consumer becomes stalled and when it
 * fetches again. Pure: no clock, no Kafka, no logging. Not thread-safe (the consumer's thread).
 */
public final class StallWatch {
  /** What a check changed. */
  public enum Change {
    NONE,
    STALLED,
    RECOVERED
  }

  private final long timeoutNanos;
  private Map<Integer, Long> previousPositions;
  private long previousCheck = -1;
  private long since = -1;
  private boolean stalled;
  private long stalledFrom;
  private long lastStallNanos;

  /** {@code timeoutNanos} zero: never stalled. */
  public StallWatch(long timeoutNanos) {
    if (timeoutNanos < 0) {
      throw new IllegalArgumentException("the stall timeout must be at least 0");
    }
    this.timeoutNanos = timeoutNanos;
  }

  /**
   * One check.
   *
   * @param now a monotonic time in nanoseconds
   * @param behind records in the assigned partitions not fetched yet
   * @param positions the next offset to hand out, per assigned partition
   * @param received whether a record arrived since the previous check
   * @param heldBack whether every handler slot is busy (records then wait on purpose)
   */
  public Change observe(
      long now, long behind, Map<Integer, Long> positions, boolean received, boolean heldBack) {
    boolean progress =
        received || (previousPositions != null && !previousPositions.equals(positions));
    long last = previousCheck < 0 ? now : previousCheck;
    previousPositions = Map.copyOf(positions);
    previousCheck = now;
    if (timeoutNanos > 0 && behind > 0 && !progress && !heldBack) {
      if (since < 0) {
        since = last;
      }
      if (!stalled && now - since >= timeoutNanos) {
        stalled = true;
        stalledFrom = since;
        return Change.STALLED;
      }
      return Change.NONE;
    }
    since = -1;
    if (stalled) {
      stalled = false;
      lastStallNanos = now - stalledFrom;
      return Change.RECOVERED;
    }
    return Change.NONE;
  }

  /** The partitions moved (a rebalance): what was seen before says nothing about them. */
  public void reset() {
    previousPositions = null;
    previousCheck = -1;
    since = -1;
  }

  public boolean stalled() {
    return stalled;
  }

  /**
   * Seconds without progress: of the stall going on, or of the last one once it {@link
   * Change#RECOVERED recovered}.
   */
  public long stallSeconds(long now) {
    return (stalled ? now - stalledFrom : lastStallNanos) / 1_000_000_000L;
  }
}
