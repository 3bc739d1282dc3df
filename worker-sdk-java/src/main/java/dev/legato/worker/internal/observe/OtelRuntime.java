package dev.legato.worker.internal.observe;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.resources.Resource;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's OpenTelemetry: the application's {@link GlobalOpenTelemetry} if it has set one,
 * else an SDK configured from the {@code OTEL_*} variables (autoconfigure), made once per process
 * and registered as the global one, so the spans a handler makes go to the same exporter. Its
 * default service name is {@code legato-worker}; it exports traces only unless {@code
 * OTEL_METRICS_EXPORTER}/{@code OTEL_LOGS_EXPORTER} say otherwise, over OTLP {@code http/protobuf}
 * unless {@code OTEL_EXPORTER_OTLP_PROTOCOL} says otherwise. A worker that stops flushes it;
 * autoconfigure's JVM shutdown hook shuts it down.
 */
final class OtelRuntime {
  private static final Logger log = LoggerFactory.getLogger(OtelRuntime.class);
  static final String DEFAULT_SERVICE_NAME = "legato-worker";
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  private static OpenTelemetrySdk own;

  private OtelRuntime() {}

  static synchronized OpenTelemetry obtain() {
    if (own != null) {
      return own;
    }
    if (GlobalOpenTelemetry.isSet()) {
      log.info("tracing on: using the application's GlobalOpenTelemetry");
      return GlobalOpenTelemetry.get();
    }
    OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(OtelRuntime::defaults)
            .addResourceCustomizer(OtelRuntime::defaultServiceName)
            .build()
            .getOpenTelemetrySdk();
    try {
      GlobalOpenTelemetry.set(sdk);
    } catch (IllegalStateException e) {
      log.debug("GlobalOpenTelemetry was set meanwhile; the worker keeps its own SDK", e);
    }
    own = sdk;
    log.info("tracing on: OpenTelemetry SDK configured from the OTEL_* variables");
    return sdk;
  }

  /**
   * What the {@code OTEL_*} variables (and system properties) leave unset: OTLP over HTTP with
   * protobuf, as in the other SDKs (Java's autoconfigure would pick gRPC, which needs a sender this
   * SDK does not ship), and traces only.
   */
  static Map<String, String> defaults() {
    return Map.of(
        "otel.exporter.otlp.protocol", "http/protobuf",
        "otel.metrics.exporter", "none",
        "otel.logs.exporter", "none");
  }

  /** Exports the spans ended so far, waiting at most {@code timeoutMs}. */
  static void flush(long timeoutMs) {
    OpenTelemetrySdk sdk;
    synchronized (OtelRuntime.class) {
      sdk = own;
    }
    if (sdk != null) {
      sdk.getSdkTracerProvider().forceFlush().join(timeoutMs, TimeUnit.MILLISECONDS);
    }
  }

  /** Forgets (and shuts down) the SDK this class made, and the global one: tests only. */
  static synchronized void resetForTest() {
    if (own != null) {
      own.close();
      own = null;
    }
    GlobalOpenTelemetry.resetForTest();
  }

  private static Resource defaultServiceName(Resource resource, ConfigProperties config) {
    String name = resource.getAttribute(SERVICE_NAME);
    if (name == null || name.startsWith("unknown_service")) {
      return resource.merge(Resource.create(Attributes.of(SERVICE_NAME, DEFAULT_SERVICE_NAME)));
    }
    return resource;
  }
}
