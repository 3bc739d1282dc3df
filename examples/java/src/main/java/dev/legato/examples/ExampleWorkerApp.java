package dev.legato.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.legato.worker.Worker;
import dev.legato.worker.WorkerFatalException;
import java.util.Locale;

/**
 * The Java example worker: the steps of the example workflows ({@code step1}, {@code step2}) and
 * this language's hand in the cross-language relay ({@code hand-java}). Configured by the {@code
 * LEGATO_*} environment variables; SIGTERM/SIGINT drain in-flight jobs, then exit 0; a fatal Kafka
 * error exits 1.
 */
public final class ExampleWorkerApp {
  private ExampleWorkerApp() {}

  public static void main(String[] args) {
    String level = System.getenv().getOrDefault("LEGATO_LOG_LEVEL", "INFO");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level.toLowerCase(Locale.ROOT));

    Worker worker = new Worker();
    worker.register("step1", payload -> "Java processed: " + payload.asText());
    worker.register("step2", payload -> "Java step 2 done: " + payload.asText());
    worker.register("hand-java", ExampleWorkerApp::handJava);
    try {
      worker.start(); // returns after SIGTERM/SIGINT has drained the in-flight jobs: exit 0
    } catch (WorkerFatalException e) {
      System.err.println("example worker stopped: " + e.getMessage());
      System.exit(1);
    }
  }

  /** {@code {"trail": [...]}} in, the same trail with {@code "java <version>"} appended out. */
  static JsonNode handJava(JsonNode payload) {
    ArrayNode trail = JsonNodeFactory.instance.arrayNode();
    JsonNode given = payload.path("trail");
    if (given.isArray()) {
      trail.addAll((ArrayNode) given);
    }
    trail.add("java " + Runtime.version());
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.set("trail", trail);
    return out;
  }
}
