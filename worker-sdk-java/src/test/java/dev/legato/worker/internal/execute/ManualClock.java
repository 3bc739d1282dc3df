package dev.legato.worker.internal.execute;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock the test moves by hand: a wall clock and, apart from it, a monotonic clock ({@link
 * #monotonicMillis()}, from another origin). {@link #advance} moves both; {@link #jumpWall} the
 * wall clock only, as an NTP step or a changed system time would.
 */
class ManualClock extends Clock {
  private volatile long millis;
  private volatile long monotonic = 7_000;

  ManualClock(long millis) {
    this.millis = millis;
  }

  void advance(long by) {
    millis += by;
    monotonic += by;
  }

  void jumpWall(long by) {
    millis += by;
  }

  long monotonicMillis() {
    return monotonic;
  }

  @Override
  public long millis() {
    return millis;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
