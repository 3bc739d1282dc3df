package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The memory of the jobIds that run here or ended here (docs/protocol.md, v2 item 17): a copy of
 * one is refused; an ended one is forgotten after an hour of the monotonic clock, and at most
 * 10,000 are kept, the oldest forgotten first.
 */
class RecentJobsTest {
  private final ManualClock clock = new ManualClock(946_684_800_000L);
  private final RecentJobs recent = new RecentJobs();

  private long now() {
    return clock.monotonicMillis();
  }

  @Test
  void aJobIdRunningOrEndedIsRefusedAnotherIsNot() {
    assertTrue(recent.begin("j-1", now()));
    assertFalse(recent.begin("j-1", now()), "running");
    assertTrue(recent.begin("j-2", now()), "another jobId");
    recent.end("j-1", now());
    assertFalse(recent.begin("j-1", now()), "ended");
    assertEquals(1, recent.endedCount());
  }

  @Test
  void aRunningJobIdIsNeverForgottenByTime() {
    assertTrue(recent.begin("j-1", now()));
    clock.advance(10 * RecentJobs.KEEP_MS);
    recent.prune(now());
    assertFalse(recent.begin("j-1", now()));
  }

  @Test
  void anAbandonedJobIdIsNotRemembered() {
    assertTrue(recent.begin("j-1", now()));
    recent.abandon("j-1");
    assertEquals(0, recent.endedCount());
    assertTrue(recent.begin("j-1", now()), "it never started: it may start");
  }

  @Test
  void anEndedJobIdIsForgottenAfterAnHour() {
    assertTrue(recent.begin("j-1", now()));
    recent.end("j-1", now());
    clock.advance(RecentJobs.KEEP_MS - 1);
    assertFalse(recent.begin("j-1", now()), "remembered for the whole hour");
    clock.advance(1);
    assertTrue(recent.begin("j-1", now()), "forgotten once the hour has passed");
    assertEquals(0, recent.endedCount());
  }

  @Test
  void theWallClockDoesNotCount() {
    assertTrue(recent.begin("j-1", now()));
    recent.end("j-1", now());
    clock.jumpWall(2 * RecentJobs.KEEP_MS); // the system time is set ahead: no time has passed
    recent.prune(now());
    assertFalse(recent.begin("j-1", now()));
  }

  @Test
  void pruneForgetsExpiredJobIdsWithoutANewOne() {
    for (int i = 0; i < 3; i++) {
      assertTrue(recent.begin("j-" + i, now()));
      recent.end("j-" + i, now());
      clock.advance(1_000);
    }
    recent.prune(now());
    assertEquals(3, recent.endedCount());
    clock.advance(RecentJobs.KEEP_MS - 3_000); // j-0's hour has passed, j-1's and j-2's not
    recent.prune(now());
    assertEquals(2, recent.endedCount());
    clock.advance(2_000);
    recent.prune(now());
    assertEquals(0, recent.endedCount());
  }

  @Test
  void atMostTenThousandEndedJobIdsTheOldestForgottenFirst() {
    for (int i = 0; i <= RecentJobs.MAX_ENDED; i++) {
      assertTrue(recent.begin("j-" + i, now()));
      recent.end("j-" + i, now());
    }
    assertEquals(RecentJobs.MAX_ENDED, recent.endedCount());
    assertTrue(recent.begin("j-0", now()), "the oldest was forgotten");
    assertFalse(recent.begin("j-1", now()), "the next oldest is still remembered");
    assertFalse(recent.begin("j-" + RecentJobs.MAX_ENDED, now()), "the newest too");
    recent.end("j-0", now()); // ended again: now the newest
    assertEquals(RecentJobs.MAX_ENDED, recent.endedCount());
    assertTrue(recent.begin("j-1", now()), "forgotten in its turn");
    assertFalse(recent.begin("j-0", now()));
  }
}
