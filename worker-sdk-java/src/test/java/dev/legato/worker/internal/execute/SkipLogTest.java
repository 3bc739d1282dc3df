package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * The periodic skip summary (docs/protocol.md, v2 items 12 and 17): at most every 10 s, counting
 * the attempts skipped as past their deadline, as withdrawn, and the copies not started.
 */
class SkipLogTest {
  private final SkipLog skips = new SkipLog();

  @Test
  void theSummaryCountsDuplicates() {
    assertNull(skips.summarize(0), "nothing skipped: no summary");
    skips.duplicate("j-0", "work", 0); // the first skip is summarised at once
    skips.duplicate("j-1", "work", 1);
    skips.duplicate("j-2", "work", 2);
    skips.duplicate("j-3", "work", 3);
    assertNull(skips.summarize(SkipLog.SUMMARY_EVERY_MS - 1), "at most every 10 s");
    assertEquals(
        "skipped 3 stale attempts (deadline passed: 0, withdrawn: 0, duplicate: 3)",
        skips.summarize(SkipLog.SUMMARY_EVERY_MS));
    assertNull(skips.summarize(3 * SkipLog.SUMMARY_EVERY_MS), "counted once");
  }

  @Test
  void theSummaryCountsEachKindApart() {
    skips.skipped("j-0", "work", StaleAttempt.DEADLINE_PASSED, 0);
    skips.skipped("j-1", "work", StaleAttempt.DEADLINE_PASSED, 1);
    skips.skipped("j-2", "work", StaleAttempt.DEADLINE_PASSED, 2);
    skips.skipped("j-3", "work", StaleAttempt.WITHDRAWN, 3);
    skips.duplicate("j-3", "work", 4);
    skips.duplicate("j-4", "work", 5);
    assertEquals(
        "skipped 5 stale attempts (deadline passed: 2, withdrawn: 1, duplicate: 2)",
        skips.summarize(SkipLog.SUMMARY_EVERY_MS));
  }
}
