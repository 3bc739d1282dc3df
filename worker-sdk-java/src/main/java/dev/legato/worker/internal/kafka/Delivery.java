package dev.legato.worker.internal.kafka;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets a record to Kafka however long it takes: a transient failure re-sends the same record with
 * exponential backoff (100 ms doubling, at most 5 s), so a computed result is never lost and its
 * handler never runs again because of a write. A record refused as too large is replaced once by
 * its fallback. A fatal error (see {@link ProducerErrors#isFatal}) is reported to the listener and
 * nothing more is sent. Thread-safe.
 */
public final class Delivery {
  private static final Logger log = LoggerFactory.getLogger(Delivery.class);
  static final long FIRST_BACKOFF_MS = 100;
  static final long MAX_BACKOFF_MS = 5_000;
  private static final long WARN_EVERY_MS = 10_000;

  /** Told once about the first fatal producer error. */
  public interface FatalListener {
    void fatal(Throwable error);
  }

  private final Producer<byte[], byte[]> producer;
  private final ScheduledExecutorService scheduler;
  private final FatalListener onFatal;
  private final AtomicBoolean failed = new AtomicBoolean();
  private final AtomicLong lastWarn = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();
  private volatile boolean closed;

  public Delivery(
      Producer<byte[], byte[]> producer,
      ScheduledExecutorService scheduler,
      FatalListener onFatal) {
    this.producer = producer;
    this.scheduler = scheduler;
    this.onFatal = onFatal;
  }

  /**
   * Sends {@code record} until Kafka acknowledges it, then runs {@code onDurable} (once, on a
   * producer thread). If Kafka refuses it as too large, {@code tooLarge} (may be null) gives the
   * record to send instead.
   */
  public void deliver(
      String what,
      ProducerRecord<byte[], byte[]> record,
      Function<Throwable, ProducerRecord<byte[], byte[]>> tooLarge,
      Runnable onDurable) {
    attempt(what, record, tooLarge, onDurable, 0);
  }

  /** From now on nothing is sent or re-sent (the worker is stopping past its deadline). */
  public void close() {
    closed = true;
  }

  /** Whether a fatal producer error has happened. */
  public boolean hasFailed() {
    return failed.get();
  }

  /** The wait before re-sending after {@code failures} failed attempts (1 or more). */
  static long backoffMillis(int failures) {
    int doublings = Math.min(failures - 1, 16);
    return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.max(0, doublings));
  }

  private void attempt(
      String what,
      ProducerRecord<byte[], byte[]> record,
      Function<Throwable, ProducerRecord<byte[], byte[]>> tooLarge,
      Runnable onDurable,
      int failures) {
    if (closed || failed.get()) {
      return;
    }
    try {
      producer.send(
          record,
          (metadata, error) -> {
            if (error == null) {
              onDurable.run();
            } else {
              failedAttempt(what, record, tooLarge, onDurable, failures + 1, error);
            }
          });
    } catch (RuntimeException e) {
      failedAttempt(what, record, tooLarge, onDurable, failures + 1, e);
    }
  }

  private void failedAttempt(
      String what,
      ProducerRecord<byte[], byte[]> record,
      Function<Throwable, ProducerRecord<byte[], byte[]>> tooLarge,
      Runnable onDurable,
      int failures,
      Throwable error) {
    if (closed) {
      log.warn(
          "stopping: {} was not written ({}); the job runs again elsewhere",
          what,
          error.toString());
      return;
    }
    if (ProducerErrors.isTooLarge(error) && tooLarge != null) {
      log.warn(
          "{} is too large for Kafka ({}); sending a ResultTooLarge instead",
          what,
          error.toString());
      ProducerRecord<byte[], byte[]> replacement = tooLarge.apply(error);
      schedule(() -> attempt(what, replacement, null, onDurable, 0), 0);
      return;
    }
    if (ProducerErrors.isFatal(error) || ProducerErrors.isTooLarge(error)) {
      if (failed.compareAndSet(false, true)) {
        onFatal.fatal(error);
      }
      return;
    }
    long delay = backoffMillis(failures);
    warnRateLimited(what, error, delay);
    schedule(() -> attempt(what, record, tooLarge, onDurable, failures), delay);
  }

  private void schedule(Runnable task, long delayMillis) {
    try {
      scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.warn("stopping: a write was not retried; the job runs again elsewhere");
    }
  }

  private void warnRateLimited(String what, Throwable error, long delay) {
    long now = System.nanoTime() / 1_000_000; // a duration: the monotonic clock
    long last = lastWarn.get();
    if ((last == Long.MIN_VALUE || now - last >= WARN_EVERY_MS)
        && lastWarn.compareAndSet(last, now)) {
      long others = suppressed.getAndSet(0);
      log.warn(
          "cannot write {} to Kafka ({}); re-sending in {} ms{}",
          what,
          error.toString(),
          delay,
          others > 0 ? " (" + others + " more failed writes since the last warning)" : "");
    } else {
      suppressed.incrementAndGet();
    }
  }
}
