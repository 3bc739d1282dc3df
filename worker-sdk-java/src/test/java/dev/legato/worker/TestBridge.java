package dev.legato.worker;

import dev.legato.worker.internal.execute.Step;
import dev.legato.worker.internal.kafka.KafkaSecurity;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * For tests of the internals: the API's package-private bindings, e.g. handlers bound as the worker
 * binds them (with JobContext.current()).
 */
public final class TestBridge {
  private TestBridge() {}

  public static Step step(Handler handler) {
    return JobContext.step(handler);
  }

  public static Map<String, Step> steps(Map<String, Handler> handlers) {
    Map<String, Step> steps = new LinkedHashMap<>();
    handlers.forEach((action, handler) -> steps.put(action, step(handler)));
    return steps;
  }

  /** The security settings the worker's Kafka clients get from {@code settings}. */
  public static KafkaSecurity.Settings kafkaSecurity(WorkerSettings settings) {
    return KafkaClientSettings.security(settings);
  }
}
