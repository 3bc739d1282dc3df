package dev.legato.worker.conformance;

import dev.legato.worker.ApplicationError;
import dev.legato.worker.JobContext;
import dev.legato.worker.NonRetryableError;
import dev.legato.worker.Worker;
import dev.legato.worker.WorkerFatalException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The worker the cross-SDK conformance suite (tests/conformance) drives; run by
 * conformance/run-worker. Configured by the LEGATO_* environment variables. Actions: echo, fail,
 * fail-plain, nonretryable, slow ({@code STARTED <jobId>} on stdout, then sleeps {@code
 * payload.ms}), big ({@code payload.bytes} times 'x'), nan ({@code {"value": NaN}}), recurse
 * (StackOverflowError), count ({@code RAN <jobId>} on stdout, returns {@code {"ok": true}}). Exits
 * 1 after a fatal error.
 */
public final class ConformanceWorker {
  private ConformanceWorker() {}

  public static void main(String[] args) {
    String level = System.getenv().getOrDefault("LEGATO_LOG_LEVEL", "INFO");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level.toLowerCase(Locale.ROOT));

    Worker worker = new Worker();
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
    try {
      worker.start();
    } catch (WorkerFatalException e) {
      System.err.println("run-worker: " + e.getMessage());
      System.exit(1);
    }
  }

  /** Never returns: StackOverflowError. */
  private static long recurse(long depth) {
    return recurse(depth + 1) + 1;
  }
}
