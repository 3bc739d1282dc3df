package dev.legato.worker.internal.execute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.legato.protocol.Failure;
import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.Handler;
import java.time.Clock;

/** Runs one job's handler and turns what happened into a {@link Result}. Stateless, thread-safe. */
public final class JobRunner {
  private final String workerId;
  private final String sdk;
  private final Clock clock;

  public JobRunner(String workerId, String sdk, Clock clock) {
    this.workerId = workerId;
    this.sdk = sdk;
    this.clock = clock;
  }

  /**
   * Parses the payload and calls the handler: a return value is COMPLETED, any exception FAILED, a
   * payload that is not JSON FAILED with type {@code InvalidPayload} (not retryable).
   */
  public Result run(Job job, Handler handler) {
    long startedAt = clock.millis();
    JsonNode payload;
    try {
      payload = Json.parse(job.getPayload());
    } catch (JsonProcessingException e) {
      return failed(
          job,
          startedAt,
          FailureEnvelope.of(
              FailureEnvelope.INVALID_PAYLOAD,
              "job payload is not valid JSON: " + e.getOriginalMessage(),
              true));
    }
    Object output;
    CurrentJob.set(job);
    try {
      output = handler.handle(payload);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(job, startedAt, FailureEnvelope.of(e));
    } catch (Exception | LinkageError | AssertionError e) {
      return failed(job, startedAt, FailureEnvelope.of(e));
    } finally {
      CurrentJob.clear();
    }
    String json;
    try {
      json = Json.write(output);
    } catch (JsonProcessingException e) {
      Failure failure =
          FailureEnvelope.of(
              FailureEnvelope.SERIALIZATION_ERROR,
              "the handler's return value cannot be serialised to JSON: " + e.getOriginalMessage(),
              false);
      failure.setStackTrace(FailureEnvelope.stackTraceOf(e));
      return failed(job, startedAt, failure);
    }
    return base(job, startedAt).setStatus(ResultStatus.COMPLETED).setOutput(json).build();
  }

  /** The job's action has no handler in this worker: FAILED, not retryable, nothing run. */
  public Result unknownAction(Job job) {
    long now = clock.millis();
    Failure failure =
        FailureEnvelope.of(
            FailureEnvelope.UNKNOWN_ACTION,
            "no handler for action '" + job.getAction() + "' in worker " + workerId,
            true);
    return failed(job, now, failure);
  }

  private Result failed(Job job, long startedAt, Failure failure) {
    return base(job, startedAt)
        .setStatus(ResultStatus.FAILED)
        .setOutput(null)
        .setFailure(failure)
        .build();
  }

  private Result.Builder base(Job job, long startedAt) {
    return Result.newBuilder()
        .setJobId(job.getJobId())
        .setRunId(job.getRunId())
        .setStepId(job.getStepId())
        .setAttempt(job.getAttempt())
        .setAction(job.getAction())
        .setOutput(null)
        .setFailure(null)
        .setWorkerId(workerId)
        .setSdk(sdk)
        .setTraceparent(job.getTraceparent())
        .setCorrelationId(job.getCorrelationId())
        .setStartedAt(startedAt)
        .setFinishedAt(clock.millis());
  }
}
