package dev.legato.worker.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.legato.worker.ApplicationError;
import dev.legato.worker.JobContext;
import dev.legato.worker.NonRetryableError;
import dev.legato.worker.Worker;
import dev.legato.worker.WorkerFatalException;
import dev.legato.worker.WorkerSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The worker the cross-SDK conformance suite (tests/conformance) drives; run by
 * conformance/run-worker. Configured by the LEGATO_* environment variables. Actions: echo, fail,
 * fail-plain, nonretryable, slow ({@code STARTED <jobId>} on stdout, then sleeps {@code
 * payload.ms}), big ({@code payload.bytes} times 'x'), nan ({@code {"value": NaN}}), recurse
 * (StackOverflowError), count ({@code RAN <jobId>} on stdout, returns {@code {"ok": true}}),
 * heartbeat, wait-cancel and ignore-cancel (protocol v2; see tests/conformance/README.md). Exits 1
 * after a fatal error. {@code LEGATO_CONFORMANCE_CLOCK_OFFSET_MS} (integer ms, may be negative,
 * default 0) shifts the worker's wall clock (a test hook of this worker, not of the SDK).
 */
public final class ConformanceWorker {
  private ConformanceWorker() {}

  public static void main(String[] args) {
    String level = System.getenv().getOrDefault("LEGATO_LOG_LEVEL", "INFO");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level.toLowerCase(Locale.ROOT));

    WorkerSettings settings = WorkerSettings.fromEnv();
    String offset = System.getenv().getOrDefault("LEGATO_CONFORMANCE_CLOCK_OFFSET_MS", "").strip();
    if (!offset.isEmpty()) {
      Clock shifted =
          Clock.offset(Clock.systemUTC(), Duration.ofMillis(Long.parseLong(offset.strip())));
      settings = settings.toBuilder().clock(shifted).build();
    }
    Worker worker = new Worker(settings);
    worker.register("echo", payload -> Map.of("echo", payload, "sdk", "java"));
    worker.register(
        "fail",
        payload -> {
          throw new ApplicationError("boom", "ConformanceError", Map.of("payload", payload));
        });
    worker.register(
        "fail-plain",
        payload -> {
          throw new RuntimeException("plain failure");
        });
    worker.register(
        "nonretryable",
        payload -> {
          throw new NonRetryableError("declined", "CardDeclined", Map.of("code", "51"));
        });
    worker.register(
        "slow",
        payload -> {
          long ms = payload.path("ms").asLong(0);
          System.out.println("STARTED " + JobContext.current().jobId());
          System.out.flush();
          Thread.sleep(ms);
          return Map.of("slept", ms);
        });
    worker.register("big", payload -> "x".repeat(payload.path("bytes").asInt(0)));
    worker.register(
        "nan",
        payload -> {
          Map<String, Object> output = new HashMap<>();
          output.put("value", Double.NaN);
          return output;
        });
    worker.register("recurse", payload -> recurse(payload.path("depth").asLong(0)));
    worker.register(
        "count",
        payload -> {
          System.out.println("RAN " + JobContext.current().jobId());
          System.out.flush();
          return Map.of("ok", true);
        });
    worker.register("heartbeat", ConformanceWorker::heartbeat);
    worker.register("wait-cancel", ConformanceWorker::waitCancel);
    worker.register("ignore-cancel", ConformanceWorker::ignoreCancel);
    try {
      worker.start();
    } catch (WorkerFatalException e) {
      System.err.println("run-worker: " + e.getMessage());
      System.exit(1);
    }
  }

  /**
   * Resumes from the last heartbeat's {@code done}, then heartbeats {@code {"done": i}} every
   * {@code payload.intervalMs} up to {@code payload.beats}; fails with type Interrupted at {@code
   * payload.failAt}; then works on for {@code payload.holdMs} without heartbeating.
   */
  private static Object heartbeat(JsonNode payload) throws InterruptedException {
    JobContext job = JobContext.current();
    JsonNode last = job.lastHeartbeatDetails();
    int start =
        last != null && last.path("done").isIntegralNumber() ? last.path("done").asInt() : 0;
    say("RESUMED " + job.jobId() + " " + start);
    int beats = payload.path("beats").asInt(0);
    long intervalMs = payload.path("intervalMs").asLong(0);
    JsonNode failAt = payload.path("failAt");
    for (int i = start + 1; i <= beats; i++) {
      try {
        Thread.sleep(intervalMs);
      } catch (InterruptedException e) {
        job.throwIfCancelled();
        throw e;
      }
      job.heartbeat(Map.of("done", i));
      if (failAt.isIntegralNumber() && failAt.asInt() == i) {
        throw new ApplicationError("failed at " + i, "Interrupted");
      }
    }
    try {
      Thread.sleep(payload.path("holdMs").asLong(0));
    } catch (InterruptedException e) {
      job.throwIfCancelled();
      throw e;
    }
    return Map.of("done", beats, "resumedFrom", start, "attempt", job.attempt());
  }

  /** Waits up to {@code payload.ms} (30 s) for a cancellation; says CANCELLED and rethrows it. */
  private static Object waitCancel(JsonNode payload) throws InterruptedException {
    JobContext job = JobContext.current();
    say("STARTED " + job.jobId());
    try {
      Thread.sleep(payload.path("ms").asLong(30_000));
    } catch (InterruptedException e) {
      if (job.isCancelled()) {
        say("CANCELLED " + job.jobId() + " " + job.cancelReason());
        job.throwIfCancelled();
      }
      throw e;
    }
    return Map.of("cancelled", false);
  }

  /**
   * Works for {@code payload.ms} (30 s) in sleeps of at most 100 ms that a cancellation does not
   * cut short, heartbeating {@code {"i": i}} each time when {@code payload.heartbeat} is true; says
   * {@code IGNORED <jobId> <reason or none>} at the end. Never raises on cancellation.
   */
  private static Object ignoreCancel(JsonNode payload) {
    JobContext job = JobContext.current();
    say("STARTED " + job.jobId());
    long ms = payload.path("ms").asLong(30_000);
    boolean heartbeat = payload.path("heartbeat").asBoolean(false);
    long end = System.nanoTime() + ms * 1_000_000;
    for (int i = 1; ; i++) {
      long remaining = (end - System.nanoTime()) / 1_000_000;
      if (remaining <= 0) {
        break;
      }
      sleepThroughInterrupts(Math.min(100, remaining));
      if (heartbeat) {
        job.heartbeat(Map.of("i", i));
      }
    }
    String reason = job.cancelReason();
    say("IGNORED " + job.jobId() + " " + (reason == null ? "none" : reason));
    return Map.of("ignored", true);
  }

  /** Sleeps {@code ms}, an interrupt (the cancellation's) notwithstanding. */
  private static void sleepThroughInterrupts(long ms) {
    long end = System.nanoTime() + ms * 1_000_000;
    long left;
    while ((left = end - System.nanoTime()) > 0) {
      try {
        Thread.sleep(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        // ignored on purpose: this handler does not wake on its cancellation
      }
    }
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** Never returns: StackOverflowError. */
  private static long recurse(long depth) {
    return recurse(depth + 1) + 1;
  }
}
