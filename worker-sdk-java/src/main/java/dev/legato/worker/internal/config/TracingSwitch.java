package dev.legato.worker.internal.config;

import java.util.Locale;
import java.util.Map;

/**
 * The rule every Legato SDK applies to turn tracing on (docs/observability.md, "Traces"): {@code
 * OTEL_SDK_DISABLED} is not {@code true}, and {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} or {@code OTEL_TRACES_EXPORTER} (other than {@code none}) is
 * set. Values are trimmed and compared case-insensitively; empty counts as unset.
 */
public final class TracingSwitch {
  public static final String SDK_DISABLED = "OTEL_SDK_DISABLED";
  public static final String ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
  public static final String TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
  public static final String TRACES_EXPORTER = "OTEL_TRACES_EXPORTER";

  private TracingSwitch() {}

  /** Whether these variables turn tracing on. */
  public static boolean enabled(Map<String, String> env) {
    String disabled = EnvValues.text(env, SDK_DISABLED);
    if (disabled != null && disabled.toLowerCase(Locale.ROOT).equals("true")) {
      return false;
    }
    String exporter = EnvValues.text(env, TRACES_EXPORTER);
    return EnvValues.text(env, ENDPOINT) != null
        || EnvValues.text(env, TRACES_ENDPOINT) != null
        || (exporter != null && !exporter.toLowerCase(Locale.ROOT).equals("none"));
  }
}
