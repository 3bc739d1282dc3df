package dev.legato.worker.internal.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Job;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The process's OpenTelemetry: autoconfigured with Legato's defaults, or the application's. */
class OtelRuntimeTest {
  @AfterEach
  void reset() {
    System.clearProperty("otel.exporter.otlp.endpoint");
    OtelRuntime.resetForTest();
  }

  @Test
  void autoconfiguresOtlpOverHttpNamedLegatoWorkerAndRegistersIt() {
    System.setProperty("otel.exporter.otlp.endpoint", "http://127.0.0.1:4318");
    OpenTelemetry first = OtelRuntime.obtain();
    OpenTelemetrySdk sdk = assertInstanceOf(OpenTelemetrySdk.class, first);
    assertSame(first, OtelRuntime.obtain()); // one per process
    assertTrue(GlobalOpenTelemetry.isSet());
    String provider = sdk.getSdkTracerProvider().toString();
    assertTrue(provider.contains("service.name=\"legato-worker\""), provider);
    assertTrue(provider.contains("OtlpHttpSpanExporter"), provider);
    assertTrue(
        sdk.getSdkMeterProvider().toString().contains("metricReaders=[]"),
        sdk.getSdkMeterProvider().toString());
  }

  @Test
  void usesTheApplicationsGlobalOpenTelemetry() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk app =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .build();
    GlobalOpenTelemetry.set(app);
    JobTracing tracing = OtelJobTracing.fromEnvironment("test", "workers");
    Job job =
        Job.newBuilder()
            .setJobId("j")
            .setRunId("r")
            .setStepId("s")
            .setAttempt(1)
            .setAction("echo")
            .setPayload("1")
            .setWorkflowId("wf")
            .setWorkflowVersion(1)
            .setQueue("jobs.echo")
            .setCreatedAt(1L)
            .build();
    tracing.start(new ConsumerRecord<>("jobs.echo", 0, 0L, null, new byte[0]), job).end(null);
    tracing.flush();
    assertEquals(1, spans.getFinishedSpanItems().size());
    app.close();
  }
}
