package dev.legato.worker.internal.execute;

import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.ProgressKind;

/** {@code Progress} records about a job, echoing its identity. */
final class ProgressRecords {
  private ProgressRecords() {}

  static Progress of(
      Job job,
      ProgressKind kind,
      String details,
      String reason,
      String workerId,
      String sdk,
      long startedAt,
      long at) {
    return Progress.newBuilder()
        .setJobId(job.getJobId())
        .setRunId(job.getRunId())
        .setStepId(job.getStepId())
        .setAttempt(job.getAttempt())
        .setAction(job.getAction())
        .setKind(kind)
        .setDetails(details)
        .setReason(reason)
        .setWorkerId(workerId)
        .setSdk(sdk)
        .setStartedAt(startedAt)
        .setAt(at)
        .build();
  }
}
