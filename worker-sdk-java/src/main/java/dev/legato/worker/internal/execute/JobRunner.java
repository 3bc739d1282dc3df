package dev.legato.worker.internal.execute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.legato.protocol.Failure;
import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.ProgressKind;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/** Runs one job's handler and turns what happened into a {@link Result}. Stateless, thread-safe. */
public final class JobRunner {
  /** The failure type of an attempt the worker's shutdown ended (docs/protocol.md, v2 item 15). */
  public static final String WORKER_SHUTDOWN = Attempt.WORKER_SHUTDOWN;

  /** The message of a {@code WorkerShutdown} failure (the handler's message, if any, follows). */
  public static final String WORKER_SHUTDOWN_MESSAGE =
      "the worker shut down before the attempt ended; it is queued again without using an attempt";

  private final String workerId;
  private final String sdk;
  private final Clock clock;
  private final LongSupplier monotonicMillis;
  private final long maxOutputBytes;

  public JobRunner(String workerId, String sdk, Clock clock) {
    this(workerId, sdk, clock, 1_000_000);
  }

  /**
   * @param maxOutputBytes the largest output (UTF-8 bytes of its JSON text) a result may carry
   */
  public JobRunner(String workerId, String sdk, Clock clock, long maxOutputBytes) {
    this(workerId, sdk, clock, Monotonic::millis, maxOutputBytes);
  }

  /**
   * @param clock the wall clock of every time written on a record ({@code startedAt}, {@code
   *     finishedAt}, {@code at})
   * @param monotonicMillis the monotonic clock (ms) durations are measured with
   * @param maxOutputBytes the largest output (UTF-8 bytes of its JSON text) a result may carry
   */
  public JobRunner(
      String workerId, String sdk, Clock clock, LongSupplier monotonicMillis, long maxOutputBytes) {
    this.workerId = workerId;
    this.sdk = sdk;
    this.clock = clock;
    this.monotonicMillis = monotonicMillis;
    this.maxOutputBytes = maxOutputBytes;
  }

  /**
   * Parses the payload and calls the handler. Every outcome is a result: a return value is
   * COMPLETED; anything thrown (any {@link Throwable}, StackOverflowError and OutOfMemoryError
   * included) FAILED; these are FAILED and not retryable: a payload that is not JSON ({@code
   * InvalidPayload}, handler not called), an output that is not strict JSON ({@code
   * SerializationError}) or larger than the limit ({@code ResultTooLarge}).
   */
  public Result run(Job job, Step step) {
    return run(Attempt.detached(job, clock), step);
  }

  /**
   * {@link #run(Job, Step)} for an attempt the worker tracks: the handler's {@code JobContext}
   * reports through it, it may be cancelled, and its pending heartbeat goes out before a failed
   * result (docs/protocol.md, v2 items 13-15). A handler the worker's shutdown cancelled that does
   * not return is answered FAILED {@code WorkerShutdown}, whatever it threw.
   */
  public Result run(Attempt attempt, Step step) {
    Job job = attempt.job();
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
    attempt.begin(startedAt);
    boolean failed = true;
    try {
      output = step.run(attempt, payload);
      failed = false;
    } catch (Throwable e) { // NOPMD: a handler's StackOverflowError/OOM must still be answered
      return failed(job, startedAt, handlerFailure(attempt, e));
    } finally {
      attempt.end(failed); // clears an interrupt left by a cancellation
    }
    OutputEncoder.Encoded encoded;
    try {
      encoded = OutputEncoder.encode(output);
    } catch (OutputEncoder.NotJsonException e) {
      return failed(
          job,
          startedAt,
          FailureEnvelope.of(
              FailureEnvelope.SERIALIZATION_ERROR,
              "the handler's return value cannot be serialised to JSON: " + e.getMessage(),
              true,
              e));
    } catch (Throwable e) { // NOPMD: e.g. OutOfMemoryError writing a huge output
      return failed(
          job,
          startedAt,
          FailureEnvelope.of(
              FailureEnvelope.SERIALIZATION_ERROR,
              "the handler's return value cannot be serialised to JSON: " + e,
              true,
              e));
    }
    if (encoded.bytes() > maxOutputBytes) {
      return failed(job, startedAt, tooLarge(encoded.bytes(), maxOutputBytes));
    }
    return base(job, startedAt).setStatus(ResultStatus.COMPLETED).setOutput(encoded.json()).build();
  }

  /** What the handler threw, or {@code WorkerShutdown} if the worker's shutdown cancelled it. */
  private static Failure handlerFailure(Attempt attempt, Throwable error) {
    if (!attempt.cancelledByShutdown()) {
      return FailureEnvelope.of(error);
    }
    String message = FailureEnvelope.messageOf(error);
    return workerShutdown(message.isEmpty() ? null : message);
  }

  /**
   * The {@code WorkerShutdown} failure (retryable, no details, no stack trace): the orchestrator
   * queues the job again without using an attempt. {@code handlerMessage} (may be null) is what the
   * handler raised.
   */
  static Failure workerShutdown(String handlerMessage) {
    return FailureEnvelope.of(
        WORKER_SHUTDOWN,
        handlerMessage == null
            ? WORKER_SHUTDOWN_MESSAGE
            : WORKER_SHUTDOWN_MESSAGE + ": " + handlerMessage,
        false);
  }

  /**
   * The result of an attempt still running when the worker's shutdown grace ended (see {@link
   * Attempt#release}), which started at {@code startedAt}: FAILED {@code WorkerShutdown}.
   */
  public Result released(Job job, long startedAt) {
    return failed(job, startedAt, workerShutdown(null));
  }

  /** The failure of an output of {@code bytes} UTF-8 bytes over the limit of {@code max}. */
  static Failure tooLarge(long bytes, long max) {
    return FailureEnvelope.of(
        FailureEnvelope.RESULT_TOO_LARGE,
        "the handler's output is "
            + bytes
            + " bytes of JSON, over the limit of "
            + max
            + " bytes (LEGATO_MAX_PAYLOAD_BYTES)",
        true);
  }

  /**
   * The same job's result as FAILED {@code ResultTooLarge}: what is sent instead of a result Kafka
   * refused as too large (a limit of the broker or topic below LEGATO_MAX_PAYLOAD_BYTES).
   */
  public static Result refusedAsTooLarge(Result refused, int encodedBytes, Throwable why) {
    Failure failure =
        FailureEnvelope.of(
            FailureEnvelope.RESULT_TOO_LARGE,
            "Kafka refused the result ("
                + encodedBytes
                + " bytes encoded) as too large: "
                + why.getMessage(),
            true);
    return Result.newBuilder(refused)
        .setStatus(ResultStatus.FAILED)
        .setOutput(null)
        .setFailure(failure)
        .build();
  }

  /**
   * Parses and writes a little JSON once, so the first job (and a handler's first heartbeat, which
   * goes out at once) does not pay for loading Jackson's parsers and serialisers.
   */
  public static void warmUp() {
    try {
      Json.parse("{\"a\":[1,2.5,\"x\",true,null]}");
      OutputEncoder.encode(Map.of("a", List.of(1, 2.5, "x", true), "b", Map.of("c", 1L)));
    } catch (JsonProcessingException | OutputEncoder.NotJsonException e) {
      throw new IllegalStateException("JSON warm-up failed", e);
    }
  }

  /** A tracked execution of the job, reporting progress to {@code sink}. */
  public Attempt attempt(Job job, ProgressSink sink, Executor flusher, Completion completion) {
    return new Attempt(job, workerId, sdk, clock, monotonicMillis, sink, flusher, completion);
  }

  /**
   * The {@code SKIPPED} record of a job not started, for {@code reason}, decided at {@code now}.
   */
  public Progress skipped(Job job, String reason, long now) {
    return ProgressRecords.of(job, ProgressKind.SKIPPED, null, reason, workerId, sdk, now, now);
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
