package dev.legato.worker.internal.execute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.ProgressKind;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One execution of a job's handler, as the worker and the handler's {@code JobContext} see it: what
 * it reports ({@code STARTED}, coalesced heartbeats; docs/protocol.md v2 items 13-14) and whether
 * it was cancelled (item 15). Thread-safe: the handler, the control consumer and the worker's timer
 * thread all call it.
 *
 * <p>Records are sent while holding this attempt's lock, so they reach the producer in order, and
 * all of them before the result (sent after {@link #end}, or after {@link #release}).
 *
 * <p>Wall-clock readings ({@code startedAt}, {@code at}) come from the worker's clock; durations
 * (the lazy start, heartbeat pacing, {@code startToCloseMs}) from the monotonic clock, in ms.
 *
 * <p>A withdrawn attempt ({@link #withdraw}: a {@code Cancel} for its jobId) sends no progress any
 * more and counts as done for its offset at once; its handler's result is still sent when it ends.
 * A released attempt ({@link #release}: still running when the worker's shutdown grace ended) is
 * answered by the worker; whatever its handler does later is dropped.
 */
public final class Attempt {
  private static final Logger log = LoggerFactory.getLogger(Attempt.class);

  /** How long a handler without a heartbeat timeout runs before {@code STARTED} is reported. */
  static final long LAZY_START_MS = 1_000;

  /** Cancellation reason when {@code startToCloseMs} has elapsed since the handler started. */
  public static final String START_TO_CLOSE_TIMEOUT = "StartToCloseTimeout";

  /** Cancellation reason when the worker's shutdown drain limit has passed. */
  public static final String WORKER_SHUTDOWN = "WorkerShutdown";

  private final Job job;
  private final String workerId;
  private final String sdk;
  private final Clock clock;
  private final LongSupplier monotonicMillis;
  private final ProgressSink sink;
  private final Executor flusher;
  private final Completion completion;
  private final boolean heartbeating;
  private final HeartbeatPacer pacer;
  private final Runnable flushTask = this::flush;

  private long startedAt;
  private long startedMono;
  private boolean begun;
  private Thread thread;
  private boolean running;
  private boolean withdrawn;
  private boolean answered;
  private boolean flushQueued;
  private volatile String cancelReason;
  private JsonNode lastDetails;
  private volatile Map<String, String> traceHeaders = Map.of();
  private boolean lastDetailsParsed;

  /**
   * @param clock the wall clock of the records' times
   * @param monotonicMillis the monotonic clock (ms) that durations are measured with
   * @param flusher runs a heartbeat that is due at once (off the handler's thread)
   * @param completion told when the {@code STARTED} of a heartbeating attempt is acknowledged, or
   *     when the attempt is withdrawn (either stores its offset)
   */
  public Attempt(
      Job job,
      String workerId,
      String sdk,
      Clock clock,
      LongSupplier monotonicMillis,
      ProgressSink sink,
      Executor flusher,
      Completion completion) {
    this.job = job;
    this.workerId = workerId;
    this.sdk = sdk;
    this.clock = clock;
    this.monotonicMillis = monotonicMillis;
    this.sink = sink;
    this.flusher = flusher;
    this.completion = completion;
    this.heartbeating = job.getHeartbeatTimeoutMs() != null;
    this.pacer = new HeartbeatPacer(HeartbeatPacer.intervalFor(job.getHeartbeatTimeoutMs()));
  }

  /** An attempt that reports nothing (tests, a handler run outside a worker). */
  public static Attempt detached(Job job, Clock clock) {
    return new Attempt(
        job, "", "", clock, Monotonic::millis, ProgressSink.NONE, Runnable::run, () -> {});
  }

  public Job job() {
    return job;
  }

  public String jobId() {
    return job.getJobId();
  }

  /**
   * The trace context headers of the attempt's span, written on its progress records; set before
   * the handler starts.
   */
  public void traceHeaders(Map<String, String> headers) {
    this.traceHeaders = Map.copyOf(headers);
  }

  /**
   * The handler starts on this thread now ({@code startedAt}, as in the result): {@code STARTED}
   * goes out at once if the step has a heartbeat timeout. A cancellation that came first interrupts
   * the thread at once.
   */
  void begin(long startedAt) {
    synchronized (this) {
      this.startedAt = startedAt;
      this.startedMono = monotonicMillis.getAsLong();
      begun = true;
      thread = Thread.currentThread();
      running = true;
      if (heartbeating) {
        pacer.requestStart();
        send(pacer.take(startedMono));
      }
      if (cancelReason != null) {
        thread.interrupt();
      }
    }
  }

  /** The handler ended; a pending heartbeat goes out first if it failed. Clears the interrupt. */
  void end(boolean failed) {
    synchronized (this) {
      running = false;
      thread = null;
      send(pacer.finish(failed, monotonicMillis.getAsLong()));
    }
    // No cancel() interrupts this thread any more: clear what one may have left for the next job.
    Thread.interrupted();
  }

  /**
   * {@code JobContext.heartbeat}: records the details; sends at once or when the interval is due.
   * The details are checked even when nothing is sent (after the end, or once withdrawn).
   */
  public void heartbeat(Object details) {
    String json = HeartbeatDetails.encode(details);
    synchronized (this) {
      if (!running || withdrawn) {
        return;
      }
      if (pacer.offer(json, monotonicMillis.getAsLong()) && !flushQueued) {
        flushQueued = true;
        try {
          flusher.execute(flushTask);
        } catch (RejectedExecutionException e) {
          flushQueued = false; // stopping; the timer or the end sends it, if anything does
        }
      }
    }
  }

  /**
   * The worker's timer (every few tens of ms), {@code now} on the monotonic clock (ms): a lazy
   * {@code STARTED} after 1 s, a coalesced heartbeat that is due, cancellation once {@code
   * startToCloseMs} has elapsed.
   */
  public void tick(long now) {
    synchronized (this) {
      if (!running) {
        return;
      }
      if (!pacer.startedSent() && now - startedMono >= LAZY_START_MS) {
        pacer.requestStart();
      }
      if (pacer.dueAt() <= now) {
        send(pacer.take(now));
      }
      Long startToClose = job.getStartToCloseMs();
      if (startToClose != null && now - startedMono >= startToClose && cancelReason == null) {
        cancel(START_TO_CLOSE_TIMEOUT);
      }
    }
  }

  /** Signals cancellation: sets the flag and interrupts the handler's thread if it runs. */
  public void cancel(String reason) {
    synchronized (this) {
      if (cancelReason != null) {
        return;
      }
      cancelReason = reason;
      if (running && thread != null) {
        log.info("cancelling job {} (action '{}'): {}", job.getJobId(), job.getAction(), reason);
        thread.interrupt();
      }
    }
  }

  /**
   * A {@code Cancel} for this jobId was read (any reason): the handler is signalled ({@link
   * #cancel}); from now on no {@code STARTED}/{@code HEARTBEAT} goes out for it (a pending
   * heartbeat is dropped), and its offset counts as done at once (docs/protocol.md, v2 item 15).
   */
  public void withdraw(String reason) {
    synchronized (this) {
      cancel(reason);
      if (withdrawn) {
        return;
      }
      withdrawn = true;
      pacer.finish(false, monotonicMillis.getAsLong()); // drops a pending heartbeat
    }
    completion.durable();
  }

  public synchronized boolean isWithdrawn() {
    return withdrawn;
  }

  /**
   * Whether the worker's shutdown cancelled this attempt ({@code WorkerShutdown} is its reason and
   * no {@code Cancel} withdrew it): a failure of its handler is then reported as {@code
   * WorkerShutdown}.
   */
  public synchronized boolean cancelledByShutdown() {
    return WORKER_SHUTDOWN.equals(cancelReason) && !withdrawn;
  }

  /**
   * The handler's outcome may be sent as the result: true once, for the first of the handler's end
   * and {@link #release}; false after a release (the handler's late outcome is dropped).
   */
  synchronized boolean claimAnswer() {
    if (answered) {
      return false;
    }
    answered = true;
    return true;
  }

  /**
   * The worker's shutdown grace ended with the handler still running: unless the attempt was
   * answered or withdrawn, or its handler has ended already, claims its answer for the worker and
   * sends its pending heartbeat details (so the next copy resumes from them). Returns when the
   * handler started (epoch ms of the wall clock), or -1 when there is nothing to release. Nothing
   * more is sent for the attempt; the caller publishes its {@code WorkerShutdown} result.
   */
  synchronized long release() {
    if (answered || withdrawn || (begun && !running)) {
      return -1; // answered, withdrawn, or its handler has just ended: it sends its own result
    }
    answered = true;
    send(pacer.finish(true, monotonicMillis.getAsLong()));
    return begun ? startedAt : clock.millis();
  }

  /** The completion of the attempt's record (its offset). */
  Completion completion() {
    return completion;
  }

  /** The trace context headers of the attempt's span (empty when not tracing). */
  Map<String, String> traceHeadersMap() {
    return traceHeaders;
  }

  public boolean isCancelled() {
    return cancelReason != null;
  }

  public String cancelReason() {
    return cancelReason;
  }

  /** The details of an earlier attempt's last heartbeat, parsed; null if none or not JSON. */
  public synchronized JsonNode lastHeartbeatDetails() {
    if (!lastDetailsParsed) {
      lastDetailsParsed = true;
      String text = job.getLastHeartbeatDetails();
      if (text != null) {
        try {
          JsonNode parsed = Json.parse(text);
          lastDetails = parsed == null || parsed.isNull() || parsed.isMissingNode() ? null : parsed;
        } catch (JsonProcessingException e) {
          lastDetails = null;
        }
      }
    }
    return lastDetails == null ? null : lastDetails.deepCopy();
  }

  private void flush() {
    synchronized (this) {
      flushQueued = false;
      if (running) {
        send(pacer.take(monotonicMillis.getAsLong()));
      }
    }
  }

  /** Sends a record; the caller holds the lock. */
  private void send(HeartbeatPacer.Emission emission) {
    if (emission == null) {
      return;
    }
    Progress progress =
        ProgressRecords.of(
            job,
            emission.kind(),
            emission.details(),
            null,
            workerId,
            sdk,
            startedAt,
            clock.millis());
    boolean ownsOffset = heartbeating && emission.kind() == ProgressKind.STARTED;
    sink.send(progress, traceHeaders, ownsOffset ? completion::startedDurable : () -> {});
  }
}
