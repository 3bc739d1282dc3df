package dev.legato.worker.internal.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TracingSwitchTest {
  private static final String ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
  private static final String TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
  private static final String EXPORTER = "OTEL_TRACES_EXPORTER";
  private static final String DISABLED = "OTEL_SDK_DISABLED";

  @Test
  void offWithoutAnyOfTheVariables() {
    assertFalse(TracingSwitch.enabled(Map.of()));
    assertFalse(
        TracingSwitch.enabled(Map.of("OTEL_SERVICE_NAME", "w", "OTEL_BSP_SCHEDULE_DELAY", "5")));
    assertFalse(TracingSwitch.enabled(Map.of(ENDPOINT, "  ", TRACES_ENDPOINT, "")));
  }

  @Test
  void onWithAnEndpointOrAnExporter() {
    assertTrue(TracingSwitch.enabled(Map.of(ENDPOINT, "http://127.0.0.1:4318")));
    assertTrue(TracingSwitch.enabled(Map.of(TRACES_ENDPOINT, "http://127.0.0.1:4318/v1/traces")));
    assertTrue(TracingSwitch.enabled(Map.of(EXPORTER, "otlp")));
    assertTrue(TracingSwitch.enabled(Map.of(EXPORTER, "console", DISABLED, "false")));
  }

  @Test
  void theNoneExporterAloneIsOff() {
    assertFalse(TracingSwitch.enabled(Map.of(EXPORTER, "none")));
    assertFalse(TracingSwitch.enabled(Map.of(EXPORTER, " NONE ")));
  }

  @Test
  void sdkDisabledWins() {
    assertFalse(TracingSwitch.enabled(Map.of(ENDPOINT, "http://127.0.0.1:4318", DISABLED, "true")));
    assertFalse(TracingSwitch.enabled(Map.of(EXPORTER, "otlp", DISABLED, " TRUE ")));
    assertTrue(TracingSwitch.enabled(Map.of(EXPORTER, "otlp", DISABLED, "no")));
  }
}
