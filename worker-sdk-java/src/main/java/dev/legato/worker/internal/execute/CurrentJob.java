package dev.legato.worker.internal.execute;

import dev.legato.protocol.Job;
import dev.legato.worker.JobContext;

/** The job of the handler running on this thread, behind {@link JobContext#current()}. */
public final class CurrentJob {
  private static final ThreadLocal<JobContext> CURRENT = new ThreadLocal<>();

  private CurrentJob() {}

  public static JobContext get() {
    return CURRENT.get();
  }

  static void set(Job job) {
    CURRENT.set(
        new JobContext(
            job.getJobId(),
            job.getRunId(),
            job.getStepId(),
            job.getAttempt(),
            job.getAction(),
            job.getWorkflowId(),
            job.getWorkflowVersion(),
            job.getTraceparent(),
            job.getCorrelationId(),
            job.getDeadlineAt()));
  }

  static void clear() {
    CURRENT.remove();
  }
}
