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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One execution of a job's handler, as the worker and the handler's {@code JobContext} see it: what
 * it reports ({@code STARTED}, coalesced heartbeats; docs/protocol.md v2 items 13-14) and whether
 * it was cancelled (item 15). Thread-safe: the handler, the control consumer and the worker's timer
 * thread all call it.
 *
 * <p>Records are sent while holding this attempt's lock, so they reach the producer in order, and
 * all of them before the result (sent after {@link #end}).
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
  private final ProgressSink sink;
  private final Executor flusher;
  private final Completion completion;
  private final boolean heartbeating;
  private final HeartbeatPacer pacer;
  private final Runnable flushTask = this::flush;

  private long startedAt;
  private Thread thread;
  private boolean running;
  private boolean flushQueued;
  private volatile String cancelReason;
  private JsonNode lastDetails;
  private volatile Map<String, String> traceHeaders = Map.of();
  private boolean lastDetailsParsed;

  /**
   * @param flusher runs a heartbeat that is due at once (off the handler's thread)
   * @param completion told when the {@code STARTED} of a heartbeating attempt is acknowledged
   */
  public Attempt(
      Job job,
      String workerId,
      String sdk,
      Clock clock,
      ProgressSink sink,
      Executor flusher,
      Completion completion) {
    this.job = job;
    this.workerId = workerId;
    this.sdk = sdk;
    this.clock = clock;
    this.sink = sink;
    this.flusher = flusher;
    this.completion = completion;
    this.heartbeating = job.getHeartbeatTimeoutMs() != null;
    this.pacer = new HeartbeatPacer(HeartbeatPacer.intervalFor(job.getHeartbeatTimeoutMs()));
  }

  /** An attempt that reports nothing (tests, a handler run outside a worker). */
  public static Attempt detached(Job job, Clock clock) {
    return new Attempt(job, "", "", clock, ProgressSink.NONE, Runnable::run, () -> {});
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
      thread = Thread.currentThread();
      running = true;
      if (heartbeating) {
        pacer.requestStart();
        send(pacer.take(startedAt));
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
      send(pacer.finish(failed, clock.millis()));
    }
    // No cancel() interrupts this thread any more: clear what one may have left for the next job.
    Thread.interrupted();
  }

  /**
   * {@code JobContext.heartbeat}: records the details; sends at once or when the interval is due.
   */
  public void heartbeat(Object details) {
    String json = HeartbeatDetails.encode(details);
    synchronized (this) {
      if (!running) {
        return;
      }
      if (pacer.offer(json, clock.millis()) && !flushQueued) {
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
   * The worker's timer (every few tens of ms): a lazy {@code STARTED} after 1 s, a coalesced
   * heartbeat that is due, cancellation once {@code startToCloseMs} has elapsed.
   */
  public void tick(long now) {
    synchronized (this) {
      if (!running) {
        return;
      }
      if (!pacer.startedSent() && now - startedAt >= LAZY_START_MS) {
        pacer.requestStart();
      }
      if (pacer.dueAt() <= now) {
        send(pacer.take(now));
      }
      Long startToClose = job.getStartToCloseMs();
      if (startToClose != null && now - startedAt >= startToClose && cancelReason == null) {
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
        send(pacer.take(clock.millis()));
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
