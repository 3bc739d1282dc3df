package dev.legato.worker.internal.execute;

import dev.legato.protocol.ProgressKind;

/**
 * Decides which {@code Progress} records one attempt sends, and when (docs/protocol.md, v2 items 13
 * and 14). Pure bookkeeping: the caller passes the time and sends what {@link #take} and {@link
 * #finish} return. Not thread-safe: the owning {@link Attempt} holds its lock around every call.
 *
 * <ul>
 *   <li>{@code STARTED} is the first record: taken once a start is requested (at once for a step
 *       with a heartbeat timeout, else after 1 s of running) or at the first heartbeat, carrying
 *       its details;
 *   <li>the first heartbeat after {@code STARTED} goes out at once; later ones are coalesced: at
 *       most one record per interval (measured from the previous record);
 *   <li>every record carries the latest details given so far (a heartbeat without details keeps
 *       them);
 *   <li>at the end, a pending heartbeat goes out first after a failure and is dropped after a
 *       success; nothing is taken after the end.
 * </ul>
 */
final class HeartbeatPacer {
  /** What to send: a record kind and its details (JSON text, or null). */
  record Emission(ProgressKind kind, String details) {}

  private final long intervalMs;
  private boolean startWanted;
  private boolean startedSent;
  private boolean firstHeartbeatSent;
  private boolean hasPending;
  private String details;
  private long lastSentAt;
  private boolean finished;

  HeartbeatPacer(long intervalMs) {
    this.intervalMs = intervalMs;
  }

  /** The coalescing interval: a third of the heartbeat timeout (at least 100 ms), else 10 s. */
  static long intervalFor(Long heartbeatTimeoutMs) {
    return heartbeatTimeoutMs == null ? 10_000 : Math.max(100, heartbeatTimeoutMs / 3);
  }

  long intervalMs() {
    return intervalMs;
  }

  /** {@code STARTED} should go out (at the next {@link #take}), with no details of its own. */
  void requestStart() {
    startWanted = true;
  }

  boolean startedSent() {
    return startedSent;
  }

  /**
   * A heartbeat call with these details (JSON text, or null to keep the latest ones). Returns true
   * when a record is due at once (the caller takes it soon), false when it waits for the interval.
   */
  boolean offer(String details, long now) {
    if (finished) {
      return false;
    }
    hasPending = true;
    if (details != null) {
      this.details = details;
    }
    return isDue(now);
  }

  /** When the pending heartbeat is due (epoch ms), or {@link Long#MAX_VALUE} if none waits. */
  long dueAt() {
    if (finished || !(hasPending || (startWanted && !startedSent))) {
      return Long.MAX_VALUE;
    }
    if (!startedSent || !firstHeartbeatSent) {
      return Long.MIN_VALUE;
    }
    return lastSentAt + intervalMs;
  }

  /** The record to send now, or null; it counts as sent at {@code now}. */
  Emission take(long now) {
    if (finished) {
      return null;
    }
    if (!startedSent) {
      if (!hasPending && !startWanted) {
        return null;
      }
      startedSent = true;
      firstHeartbeatSent = hasPending;
      return emit(ProgressKind.STARTED, now);
    }
    if (hasPending && isDue(now)) {
      firstHeartbeatSent = true;
      return emit(ProgressKind.HEARTBEAT, now);
    }
    return null;
  }

  /**
   * The attempt ended; nothing is taken afterwards. After a failure, returns the pending heartbeat
   * (if any) to send before the result, so the retry resumes from it.
   */
  Emission finish(boolean failed, long now) {
    if (finished) {
      return null;
    }
    finished = true;
    if (!failed || !hasPending) {
      hasPending = false;
      return null;
    }
    ProgressKind kind = startedSent ? ProgressKind.HEARTBEAT : ProgressKind.STARTED;
    startedSent = true;
    return emit(kind, now);
  }

  private boolean isDue(long now) {
    return !startedSent || !firstHeartbeatSent || now - lastSentAt >= intervalMs;
  }

  private Emission emit(ProgressKind kind, long now) {
    Emission emission = new Emission(kind, details);
    hasPending = false;
    lastSentAt = now;
    return emission;
  }
}
