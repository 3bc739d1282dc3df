package dev.legato.worker.internal.execute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.MessageFormatter;

/**
 * Logs skipped stale attempts and copies of a job not started: each one at DEBUG, a summary at INFO
 * at most every 10 s, e.g. {@code skipped 240 stale attempts (deadline passed: 230, withdrawn: 10,
 * duplicate: 0)}. Thread-safe.
 */
public final class SkipLog {
  private static final Logger log = LoggerFactory.getLogger(SkipLog.class);
  static final long SUMMARY_EVERY_MS = 10_000;
  static final String SUMMARY =
      "skipped {} stale attempts (deadline passed: {}, withdrawn: {}, duplicate: {})";

  private long deadlinePassed;
  private long withdrawn;
  private long duplicate;
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

  /**
   * A copy of a job that runs in this worker or ended in it within the hour was not started
   * (docs/protocol.md, v2 item 17).
   */
  synchronized void duplicate(String jobId, String action, long now) {
    log.debug(
        "skipped job {} (action '{}'): delivered again, it runs or ran here; not started",
        jobId,
        action);
    duplicate++;
    summarize(now);
  }

  /**
   * Logs the summary of the skips since the last one if 10 s have passed (called by the timer).
   * Returns the line logged, or null if none was.
   */
  public synchronized String summarize(long now) {
    long total = deadlinePassed + withdrawn + duplicate;
    if (total == 0 || (lastSummary != Long.MIN_VALUE && now - lastSummary < SUMMARY_EVERY_MS)) {
      return null;
    }
    Object[] counts = {total, deadlinePassed, withdrawn, duplicate};
    log.info(SUMMARY, counts);
    deadlinePassed = 0;
    withdrawn = 0;
    duplicate = 0;
    lastSummary = now;
    return MessageFormatter.arrayFormat(SUMMARY, counts).getMessage();
  }
}
