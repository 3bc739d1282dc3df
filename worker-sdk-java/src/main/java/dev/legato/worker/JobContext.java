package dev.legato.worker;

import dev.legato.worker.internal.execute.CurrentJob;

/**
 * What a handler knows about the attempt it runs, besides its payload. {@link #current()} returns
 * it on the handler's thread:
 *
 * <pre>{@code
 * worker.register("charge", payload -> {
 *   JobContext job = JobContext.current();
 *   log.info("attempt {} of run {}", job.attempt(), job.runId());
 *   ...
 * });
 * }</pre>
 *
 * @param deadlineAt when the orchestrator counts this attempt as timed out (epoch ms), or null
 */
public record JobContext(
    String jobId,
    String runId,
    String stepId,
    int attempt,
    String action,
    String workflowId,
    int workflowVersion,
    String traceparent,
    String correlationId,
    Long deadlineAt) {

  /**
   * The job whose handler runs on this thread.
   *
   * @throws IllegalStateException outside a handler
   */
  public static JobContext current() {
    JobContext context = CurrentJob.get();
    if (context == null) {
      throw new IllegalStateException(
          "JobContext.current() is only available while a handler runs");
    }
    return context;
  }
}
