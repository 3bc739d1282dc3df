package dev.legato.worker.internal.execute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs skipped stale attempts: each one at DEBUG, a summary at INFO at most every 10 s, e.g. {@code
 * skipped 240 stale attempts (deadline passed: 230, withdrawn: 10)}. Thread-safe.
 */
public final class SkipLog {
  private static final Logger log = LoggerFactory.getLogger(SkipLog.class);
  static final long SUMMARY_EVERY_MS = 10_000;

  private long deadlinePassed;
  private long withdrawn;
  private long lastSummary = Long.MIN_VALUE;

  synchronized void skipped(String jobId, String action, String reason, long now) {
    log.debug("skipped job {} (action '{}'): {}", jobId, action, reason);
    if (StaleAttempt.WITHDRAWN.equals(reason)) {
      withdrawn++;
    } else {
      deadlinePassed++;
    }
    summarize(now);
  }

  /** Logs the summary of the skips since the last one if 10 s have passed (called by the timer). */
  public synchronized void summarize(long now) {
    if (deadlinePassed + withdrawn == 0
        || (lastSummary != Long.MIN_VALUE && now - lastSummary < SUMMARY_EVERY_MS)) {
      return;
    }
    log.info(
        "skipped {} stale attempts (deadline passed: {}, withdrawn: {})",
        deadlinePassed + withdrawn,
        deadlinePassed,
        withdrawn);
    deadlinePassed = 0;
    withdrawn = 0;
    lastSummary = now;
  }
}
