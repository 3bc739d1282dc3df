package dev.legato.worker.internal.execute;

import dev.legato.worker.JobContext;

/** The job of the handler running on this thread, behind {@link JobContext#current()}. */
public final class CurrentJob {
  private static final ThreadLocal<JobContext> CURRENT = new ThreadLocal<>();

  private CurrentJob() {}

  public static JobContext get() {
    return CURRENT.get();
  }

  static void set(Attempt attempt) {
    CURRENT.set(JobContext.of(attempt));
  }

  static void clear() {
    CURRENT.remove();
  }
}
