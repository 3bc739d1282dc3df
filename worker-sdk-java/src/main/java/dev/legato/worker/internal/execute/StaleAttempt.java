package dev.legato.worker.internal.execute;

import dev.legato.protocol.Job;

/** Whether an attempt must not start (docs/protocol.md, v2 item 12), and why. */
public final class StaleAttempt {
  /** The orchestrator withdrew the attempt (a {@code Cancel} for its jobId). */
  public static final String WITHDRAWN = "Withdrawn";

  /** The attempt's start-by time ({@code deadlineAt}) has come. */
  public static final String DEADLINE_PASSED = "DeadlinePassed";

  private StaleAttempt() {}

  /** The reason to skip this job now, or null to run it. */
  static String reason(Job job, Withdrawals withdrawals, long now) {
    if (withdrawals.isWithdrawn(job.getJobId())) {
      return WITHDRAWN;
    }
    Long deadlineAt = job.getDeadlineAt();
    return deadlineAt != null && now >= deadlineAt ? DEADLINE_PASSED : null;
  }
}
