package dev.legato.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.legato.worker.internal.execute.Attempt;
import dev.legato.worker.internal.execute.HeartbeatDetails;
import dev.legato.worker.internal.execute.Step;
import java.util.Objects;

/**
 * What a handler knows about the attempt it runs, besides its payload, and how it talks back while
 * it runs. {@link #current()} returns it on the handler's thread:
 *
 * <pre>{@code
 * worker.register("import", payload -> {
 *   JobContext job = JobContext.current();
 *   JsonNode last = job.lastHeartbeatDetails();          // progress of an earlier attempt
 *   int row = last == null ? 0 : last.path("row").asInt();
 *   for (; row < rows; row++) {
 *     job.throwIfCancelled();                 // AttemptCancelled; or let InterruptedException out
 *     importRow(row);
 *     job.heartbeat(Map.of("row", row + 1));            // cheap: coalesced by the SDK
 *   }
 *   return Map.of("rows", rows);
 * });
 * }</pre>
 *
 * <p><b>Cancellation</b> (a {@code Cancel} from the orchestrator, {@code startToCloseMs} elapsed,
 * or the worker's shutdown drain limit passed) sets {@link #isCancelled()} and interrupts the
 * handler's thread; the SDK never kills it. Whatever the handler then returns or throws is sent as
 * its result (an {@code InterruptedException} as {@link AttemptCancelled}), which the orchestrator
 * ignores as late. After a {@code Cancel}, {@link #heartbeat} sends nothing more. When the worker's
 * shutdown cancelled it ({@code WorkerShutdown}), a failure is sent as FAILED {@code
 * WorkerShutdown}, which the orchestrator queues again without using an attempt; a handler still
 * running 2 s later is answered so by the worker, and its later outcome is dropped.
 *
 * <p>Accessors as in earlier versions (this used to be a record): {@link #jobId()}, {@link
 * #runId()}, {@link #stepId()}, {@link #attempt()}, {@link #action()}, {@link #workflowId()},
 * {@link #workflowVersion()}, {@link #traceparent()}, {@link #correlationId()}, {@link
 * #deadlineAt()}.
 */
public final class JobContext {
  /** The job whose handler runs on this thread, behind {@link #current()}. */
  private static final ThreadLocal<JobContext> CURRENT = new ThreadLocal<>();

  private final String jobId;
  private final String runId;
  private final String stepId;
  private final int attempt;
  private final String action;
  private final String workflowId;
  private final int workflowVersion;
  private final String traceparent;
  private final String correlationId;
  private final Long deadlineAt;
  private final Long startToCloseMs;
  private final Long heartbeatTimeoutMs;
  private final Attempt execution;

  /**
   * A context that is not attached to a running worker (e.g. to unit-test a handler): {@link
   * #heartbeat} checks its details and sends nothing, it is never cancelled, and it has no earlier
   * heartbeat details.
   */
  public JobContext(
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
    this(
        jobId,
        runId,
        stepId,
        attempt,
        action,
        workflowId,
        workflowVersion,
        traceparent,
        correlationId,
        deadlineAt,
        null,
        null,
        null);
  }

  private JobContext(
      String jobId,
      String runId,
      String stepId,
      int attempt,
      String action,
      String workflowId,
      int workflowVersion,
      String traceparent,
      String correlationId,
      Long deadlineAt,
      Long startToCloseMs,
      Long heartbeatTimeoutMs,
      Attempt execution) {
    this.jobId = jobId;
    this.runId = runId;
    this.stepId = stepId;
    this.attempt = attempt;
    this.action = action;
    this.workflowId = workflowId;
    this.workflowVersion = workflowVersion;
    this.traceparent = traceparent;
    this.correlationId = correlationId;
    this.deadlineAt = deadlineAt;
    this.startToCloseMs = startToCloseMs;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
    this.execution = execution;
  }

  /**
   * The context of a running attempt. Internal: the SDK creates it for each handler call.
   *
   * @hidden
   */
  public static JobContext of(Attempt execution) {
    var job = execution.job();
    return new JobContext(
        job.getJobId(),
        job.getRunId(),
        job.getStepId(),
        job.getAttempt(),
        job.getAction(),
        job.getWorkflowId(),
        job.getWorkflowVersion(),
        job.getTraceparent(),
        job.getCorrelationId(),
        job.getDeadlineAt(),
        job.getStartToCloseMs(),
        job.getHeartbeatTimeoutMs(),
        execution);
  }

  /**
   * {@code handler} as the runner calls it: while it runs, {@link #current()} on its thread is its
   * attempt's context, and an {@code InterruptedException} it throws once the attempt was cancelled
   * is reported as {@link AttemptCancelled}.
   */
  static Step step(Handler handler) {
    return (attempt, payload) -> {
      CURRENT.set(of(attempt));
      try {
        return handler.handle(payload);
      } catch (InterruptedException e) {
        if (attempt.isCancelled()) {
          throw new AttemptCancelled(attempt.cancelReason(), e);
        }
        throw e;
      } finally {
        CURRENT.remove();
      }
    };
  }

  /**
   * The job whose handler runs on this thread.
   *
   * @throws IllegalStateException outside a handler
   */
  public static JobContext current() {
    JobContext context = CURRENT.get();
    if (context == null) {
      throw new IllegalStateException(
          "JobContext.current() is only available while a handler runs");
    }
    return context;
  }

  /** This attempt's id (UUID); the result and every progress record echo it. */
  public String jobId() {
    return jobId;
  }

  public String runId() {
    return runId;
  }

  public String stepId() {
    return stepId;
  }

  /** 1 for the first attempt, 2 for the first retry, ... */
  public int attempt() {
    return attempt;
  }

  public String action() {
    return action;
  }

  public String workflowId() {
    return workflowId;
  }

  public int workflowVersion() {
    return workflowVersion;
  }

  /** The run's W3C trace context, or null. */
  public String traceparent() {
    return traceparent;
  }

  /** The caller's correlation id, or null. */
  public String correlationId() {
    return correlationId;
  }

  /**
   * The start-by time (epoch ms) or null: the worker never starts the attempt at or after it. Once
   * the handler runs it has no effect; {@link #startToCloseMs()} bounds the run.
   */
  public Long deadlineAt() {
    return deadlineAt;
  }

  /** How long this execution may run (ms) before it is cancelled, or null for no limit. */
  public Long startToCloseMs() {
    return startToCloseMs;
  }

  /**
   * The step's heartbeat timeout (ms), or null: when set, the orchestrator counts the attempt as
   * dead after this long without progress, so the handler should call {@link #heartbeat} more often
   * than that.
   */
  public Long heartbeatTimeoutMs() {
    return heartbeatTimeoutMs;
  }

  /**
   * Reports that the handler is alive, with {@code details} (any value Jackson can serialise to
   * strict JSON, at most 65,536 bytes of JSON text; null keeps the latest given) that a retry gets
   * back as {@link #lastHeartbeatDetails()}. Cheap and non-blocking: the SDK sends at most one
   * record per interval ({@code heartbeatTimeoutMs / 3}, at least 100 ms; 10 s without a heartbeat
   * timeout), carrying the latest details given so far (null keeps them); the first call goes out
   * at once. Calls after the handler ended, or once a {@code Cancel} withdrew the attempt, send
   * nothing (the details are still checked).
   *
   * @throws SerializationError if the details are not strict JSON or are too large
   */
  public void heartbeat(Object details) {
    try {
      if (execution == null) {
        HeartbeatDetails.encode(details);
        return;
      }
      execution.heartbeat(details);
    } catch (HeartbeatDetails.InvalidException e) {
      throw new SerializationError(e.getMessage(), e.getCause());
    }
  }

  /** {@link #heartbeat(Object)} without new details (the latest ones given are kept). */
  public void heartbeat() {
    heartbeat(null);
  }

  /**
   * The details of the last heartbeat an earlier attempt of this step reported (to resume from its
   * progress), or null when there are none or they are not valid JSON. A fresh copy per call.
   */
  public JsonNode lastHeartbeatDetails() {
    return execution == null ? null : execution.lastHeartbeatDetails();
  }

  /** Whether this execution was cancelled; see {@link #cancelReason()}. */
  public boolean isCancelled() {
    return execution != null && execution.isCancelled();
  }

  /**
   * Why this execution was cancelled, or null if it was not: a {@code Cancel} reason from the
   * orchestrator ({@code RunCancelled}, {@code RunEnded}, {@code Superseded}, {@code
   * ScheduleToStartTimeout}, {@code StartToCloseTimeout}, {@code HeartbeatTimeout}) or, when the
   * worker cancels by itself, {@code StartToCloseTimeout} or {@code WorkerShutdown}.
   */
  public String cancelReason() {
    return execution == null ? null : execution.cancelReason();
  }

  /**
   * Throws {@link AttemptCancelled} (with the {@link #cancelReason()}) if this execution was
   * cancelled; returns otherwise. A check point for handlers that do not block interruptibly.
   */
  public void throwIfCancelled() {
    String reason = cancelReason();
    if (reason != null) {
      throw new AttemptCancelled(reason);
    }
  }

  /** Equal when the identity fields (the former record's components) are equal. */
  @Override
  public boolean equals(Object other) {
    return other instanceof JobContext that
        && attempt == that.attempt
        && workflowVersion == that.workflowVersion
        && Objects.equals(jobId, that.jobId)
        && Objects.equals(runId, that.runId)
        && Objects.equals(stepId, that.stepId)
        && Objects.equals(action, that.action)
        && Objects.equals(workflowId, that.workflowId)
        && Objects.equals(traceparent, that.traceparent)
        && Objects.equals(correlationId, that.correlationId)
        && Objects.equals(deadlineAt, that.deadlineAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        jobId,
        runId,
        stepId,
        attempt,
        action,
        workflowId,
        workflowVersion,
        traceparent,
        correlationId,
        deadlineAt);
  }

  @Override
  public String toString() {
    return "JobContext[jobId="
        + jobId
        + ", runId="
        + runId
        + ", stepId="
        + stepId
        + ", attempt="
        + attempt
        + ", action="
        + action
        + ", workflowId="
        + workflowId
        + ", workflowVersion="
        + workflowVersion
        + ", traceparent="
        + traceparent
        + ", correlationId="
        + correlationId
        + ", deadlineAt="
        + deadlineAt
        + "]";
  }
}
