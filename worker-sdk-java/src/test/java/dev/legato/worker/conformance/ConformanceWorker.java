package dev.legato.worker.conformance;

import dev.legato.worker.ApplicationError;
import dev.legato.worker.JobContext;
import dev.legato.worker.NonRetryableError;
import dev.legato.worker.Worker;
import java.util.Locale;
import java.util.Map;

/**
 * The worker the cross-SDK conformance suite (tests/conformance) drives; run by
 * conformance/run-worker. Configured by the LEGATO_* environment variables.
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
    worker.start();
  }
}
