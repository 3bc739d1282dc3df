package dev.legato.worker.internal.execute;

import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.internal.kafka.Publisher;
import dev.legato.worker.internal.observe.JobSpan;
import dev.legato.worker.internal.observe.JobTracing;
import dev.legato.worker.internal.observe.WorkerMetrics;
import dev.legato.worker.internal.protocol.DecodeException;
import dev.legato.worker.internal.protocol.MessageCodec;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one consumed record to its durable outcome (docs/protocol.md "Worker behaviour", steps 2-5,
 * and v2 items 12-17): a dead letter if it does not decode, an UnknownAction result if no handler
 * is registered, nothing if the job runs in this worker or ended in it within the hour (a copy the
 * orchestrator published again, item 17), a {@code SKIPPED} progress record if the attempt was
 * withdrawn or its start-by time has passed, else the handler's result. At most {@code permits}
 * handlers run at once in the process. A handler runs once per record: its result is re-sent until
 * Kafka has it, never recomputed. Thread-safe.
 */
public final class JobDispatcher {
  private static final Logger log = LoggerFactory.getLogger(JobDispatcher.class);

  /**
   * The v2 parts: what runs, what was withdrawn, which jobIds ran here recently, where progress
   * goes and on which thread; the wall clock compared with {@code deadlineAt} and the monotonic
   * clock (ms) of the skip summary and of the recent jobIds.
   */
  public record Attempts(
      RunningAttempts running,
      Withdrawals withdrawals,
      RecentJobs recent,
      SkipLog skipLog,
      Executor flusher,
      Clock clock,
      LongSupplier monotonicMillis) {
    public Attempts(
        RunningAttempts running,
        Withdrawals withdrawals,
        SkipLog skipLog,
        Executor flusher,
        Clock clock) {
      this(running, withdrawals, new RecentJobs(), skipLog, flusher, clock, Monotonic::millis);
    }
  }

  /** Metrics and tracing (docs/observability.md); {@link #NONE} when both are off. */
  public record Observers(WorkerMetrics metrics, JobTracing tracing) {
    public static final Observers NONE = new Observers(WorkerMetrics.NONE, JobTracing.NONE);
  }

  private final Map<String, Step> handlers;
  private final MessageCodec codec;
  private final JobRunner runner;
  private final Publisher publisher;
  private final ProgressSink progress;
  private final Executor pool;
  private final Semaphore permits;
  private final Attempts attempts;
  private final Observers observers;
  private final AtomicInteger releasedAtShutdown = new AtomicInteger();
  private volatile boolean closed;

  public JobDispatcher(
      Map<String, Step> handlers,
      MessageCodec codec,
      JobRunner runner,
      Publisher publisher,
      Executor pool,
      Semaphore permits,
      Attempts attempts,
      Observers observers) {
    this.handlers = Map.copyOf(handlers);
    this.codec = codec;
    this.runner = runner;
    this.publisher = publisher;
    this.progress = ProgressSink.to(publisher);
    this.pool = pool;
    this.permits = permits;
    this.attempts = attempts;
    this.observers = observers;
  }

  /**
   * Starts processing the record, or returns false (doing nothing) when every handler slot is busy.
   * Once a slot is taken, {@code tracking} is called (on this thread) and the completion it returns
   * is called once the outcome is durable (never if the worker stops first).
   */
  public boolean tryDispatch(ConsumerRecord<byte[], byte[]> record, Supplier<Completion> tracking) {
    if (!permits.tryAcquire()) {
      return false;
    }
    Completion completion = tracking.get();
    Job job;
    try {
      job = codec.decodeJob(record.value());
    } catch (DecodeException e) {
      permits.release();
      log.warn(
          "undecodable job at {}-{}@{}: {}; sending it to the DLT",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
      publisher.publishDeadLetter(record, e.getMessage(), completion::durable);
      return true;
    }
    Step step = handlers.get(job.getAction());
    if (step == null) {
      permits.release();
      log.warn("job {} has action '{}' with no handler here", job.getJobId(), job.getAction());
      publisher.publishResult(runner.unknownAction(job), completion::durable);
      return true;
    }
    long elapsed = attempts.monotonicMillis().getAsLong();
    // A copy of a job that runs here or ended here within the hour is not started, and sends
    // nothing, not even SKIPPED (item 17). Its offset is done at once; a first copy still running
    // holds the partition's commit by its own offset.
    if (!attempts.recent().begin(job.getJobId(), elapsed)) {
      permits.release();
      attempts.skipLog().duplicate(job.getJobId(), job.getAction(), elapsed);
      completion.durable();
      return true;
    }
    Completion once = Completion.once(completion);
    Attempt attempt = runner.attempt(job, progress, attempts.flusher(), once);
    // Registered first, checked after: a Cancel read meanwhile reaches the check or the attempt.
    attempts.running().add(attempt);
    long now = attempts.clock().millis();
    String stale = StaleAttempt.reason(job, attempts.withdrawals(), now);
    if (stale != null) {
      attempts.running().remove(attempt);
      attempts.recent().end(job.getJobId(), elapsed);
      permits.release();
      attempts.skipLog().skipped(job.getJobId(), job.getAction(), stale, elapsed);
      observers.metrics().skipped(job.getAction());
      publisher.publishProgress(runner.skipped(job, stale, now), once::durable);
      return true;
    }
    try {
      pool.execute(() -> runHandler(record, attempt, step, once));
    } catch (RejectedExecutionException e) {
      attempts.running().remove(attempt);
      attempts.recent().abandon(job.getJobId());
      permits.release(); // stopping: the job is not committed and runs again elsewhere
    }
    return true;
  }

  /** Waits at most {@code timeout} for a handler slot to be free (without taking it). */
  public void awaitSlot(Duration timeout) {
    try {
      if (permits.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        permits.release();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether a handler slot is free now. */
  public boolean hasFreeSlot() {
    return permits.availablePermits() > 0;
  }

  /**
   * Whether no handler is running that the shutdown waits for: heartbeating attempts (whose offsets
   * are stored) included, withdrawn ones not (they pin nothing).
   */
  public boolean idle() {
    return attempts.running().onlyWithdrawn();
  }

  /**
   * The shutdown grace has ended: every attempt still running and not withdrawn is answered FAILED
   * {@code WorkerShutdown} by the worker (after its pending heartbeat details), its offset stored
   * once that is acknowledged; its handler's later outcome is dropped. Returns how many.
   */
  public int releaseStillRunning() {
    int released = 0;
    for (Attempt attempt : attempts.running().snapshot()) {
      long startedAt = attempt.release();
      if (startedAt < 0) {
        continue;
      }
      released++;
      releasedAtShutdown.incrementAndGet();
      log.warn(
          "job {} (action '{}') still running at the end of the shutdown grace: answered {}",
          attempt.jobId(),
          attempt.job().getAction(),
          JobRunner.WORKER_SHUTDOWN);
      publisher.publishResult(
          runner.released(attempt.job(), startedAt),
          attempt.traceHeadersMap(),
          attempt.completion()::durable);
    }
    return released;
  }

  /** How many attempts were answered {@code WorkerShutdown} so far. */
  public int releasedAtShutdown() {
    return releasedAtShutdown.get();
  }

  /**
   * From now on results are dropped (the worker is closing: the consumers have stopped, or a fatal
   * error ended it).
   */
  public void close() {
    closed = true;
  }

  private static boolean isWorkerShutdown(Result result) {
    return result.getStatus() == ResultStatus.FAILED
        && result.getFailure() != null
        && JobRunner.WORKER_SHUTDOWN.equals(result.getFailure().getType());
  }

  /**
   * Runs the handler inside the attempt's span (current on this thread, with the job's MDC keys),
   * counts it, and publishes its result with the span's context.
   */
  private void runHandler(
      ConsumerRecord<byte[], byte[]> record, Attempt attempt, Step step, Completion completion) {
    Job job = attempt.job();
    try {
      Result result = null;
      JobSpan span = JobSpan.NONE;
      boolean started = false;
      long began = System.nanoTime();
      try {
        span = observers.tracing().start(record, job);
        attempt.traceHeaders(span.headers());
        observers.metrics().handlerStarted(job.getAction());
        started = true;
        try (JobSpan.Entered entered = span.enter();
            LogContext logs = LogContext.enter(job, span)) {
          result = runner.run(attempt, step);
        }
      } finally {
        permits.release();
        if (started) {
          boolean failed = result == null || result.getStatus() == ResultStatus.FAILED;
          observers.metrics().handlerFinished(job.getAction(), failed, System.nanoTime() - began);
        }
        span.end(result);
      }
      if (span.traceparent() != null) {
        result = Result.newBuilder(result).setTraceparent(span.traceparent()).build();
      }
      if (!attempt.claimAnswer()) {
        log.warn(
            "job {} finished after the worker answered it ({}); its outcome is dropped",
            attempt.jobId(),
            JobRunner.WORKER_SHUTDOWN);
        return;
      }
      if (closed) {
        log.warn("job {} finished after the worker closed; its result is dropped", attempt.jobId());
        return;
      }
      if (isWorkerShutdown(result)) {
        releasedAtShutdown.incrementAndGet();
      }
      publisher.publishResult(result, span.headers(), completion::durable);
    } finally {
      // Remembered as ended, however it ended: a copy read from now on is not started (item 17).
      attempts.recent().end(job.getJobId(), attempts.monotonicMillis().getAsLong());
      // Only now: a drain waiting for idle() must not close the dispatcher before this result
      // went to the producer.
      attempts.running().remove(attempt);
    }
  }
}
