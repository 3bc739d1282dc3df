package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.ProgressKind;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.ApplicationError;
import dev.legato.worker.Handler;
import dev.legato.worker.TestBridge;
import dev.legato.worker.internal.kafka.Delivery;
import dev.legato.worker.internal.kafka.Publisher;
import dev.legato.worker.internal.observe.JobTracing;
import dev.legato.worker.internal.observe.OtelJobTracing;
import dev.legato.worker.internal.observe.WorkerMetrics;
import dev.legato.worker.internal.protocol.MessageCodec;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.spi.MDCAdapter;

/**
 * A job through the dispatcher with tracing and metrics on (docs/observability.md): the process
 * span's parent, link and attributes, the span current in the handler, the MDC keys, and the trace
 * context on the result and progress records; with both off, no header is written.
 */
class ObservedDispatchTest {
  private static final String PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT_SPAN = "00f067aa0ba902b7";
  private static final String PARENT = "00-" + PARENT_TRACE + "-" + PARENT_SPAN + "-01";
  private static final String FIELD_TRACE = "0af7651916cd43dd8448eb211c80319c";
  private static final String FIELD = "00-" + FIELD_TRACE + "-b7ad6b7169203331-01";

  private static final java.util.function.Supplier<Completion> NOTHING = () -> () -> {};

  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, new ByteArraySerializer(), new ByteArraySerializer());
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
  private final MessageCodec codec = new MessageCodec();
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final SdkTracerProvider tracerProvider =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
  private final JobTracing tracing =
      OtelJobTracing.with(
          OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build(),
          "test",
          "legato-workers");
  private final RecordingMetrics metrics = new RecordingMetrics();
  private final RunningAttempts running = new RunningAttempts();
  private final Withdrawals withdrawals = new Withdrawals(running);
  private MDCAdapter previousMdc;

  @BeforeEach
  void realMdc() throws Exception {
    // slf4j-simple's MDC keeps nothing; a real adapter shows what the handler's thread carries.
    Field adapter = MDC.class.getDeclaredField("mdcAdapter");
    adapter.setAccessible(true);
    previousMdc = (MDCAdapter) adapter.get(null);
    adapter.set(null, new BasicMDCAdapter());
  }

  @AfterEach
  void restore() throws Exception {
    Field adapter = MDC.class.getDeclaredField("mdcAdapter");
    adapter.setAccessible(true);
    adapter.set(null, previousMdc);
    scheduler.shutdownNow();
    tracerProvider.close();
  }

  private JobDispatcher dispatcher(Map<String, Handler> handlers, JobDispatcher.Observers obs) {
    Clock clock = Clock.systemUTC();
    Publisher publisher =
        new Publisher(
            new Delivery(producer, scheduler, e -> {}),
            codec,
            "results",
            "jobs.DLT",
            "w-1",
            clock,
            JobRunner::refusedAsTooLarge);
    return new JobDispatcher(
        TestBridge.steps(handlers),
        codec,
        new JobRunner("w-1", "java/test", clock),
        publisher,
        Runnable::run, // the handler runs inside tryDispatch
        new Semaphore(2),
        new JobDispatcher.Attempts(running, withdrawals, new SkipLog(), Runnable::run, clock),
        obs);
  }

  private static Job.Builder job(String jobId) {
    return Job.newBuilder()
        .setJobId(jobId)
        .setRunId("r-1")
        .setStepId("s-1")
        .setAttempt(2)
        .setAction("echo")
        .setPayload("{\"x\":1}")
        .setWorkflowId("wf")
        .setWorkflowVersion(1)
        .setQueue("jobs.echo")
        .setTraceparent(FIELD)
        .setCreatedAt(1L);
  }

  private ConsumerRecord<byte[], byte[]> record(Job job, String traceparent, String tracestate) {
    ConsumerRecord<byte[], byte[]> record =
        new ConsumerRecord<>("jobs.echo", 3, 42L, null, codec.encodeJob(job));
    if (traceparent != null) {
      record.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
    }
    if (tracestate != null) {
      record.headers().add("tracestate", tracestate.getBytes(StandardCharsets.UTF_8));
    }
    return record;
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private Result onlyResult() throws Exception {
    List<Result> results = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> sent : producer.history()) {
      if (codec.decodeResultsRecord(sent.value()) instanceof Result r) {
        results.add(r);
      }
    }
    assertEquals(1, results.size());
    return results.get(0);
  }

  private ProducerRecord<byte[], byte[]> resultRecord() throws Exception {
    for (ProducerRecord<byte[], byte[]> sent : producer.history()) {
      if (codec.decodeResultsRecord(sent.value()) instanceof Result) {
        return sent;
      }
    }
    throw new AssertionError("no result sent");
  }

  @Test
  void theProcessSpanIsAChildOfTheJobsHeaderAndTravelsOnTheResult() throws Exception {
    Map<String, String> seen = new HashMap<>();
    Handler handler =
        payload -> {
          Span current = Span.current();
          seen.put("trace", current.getSpanContext().getTraceId());
          seen.put("span", current.getSpanContext().getSpanId());
          seen.put("trace_id", MDC.get("trace_id"));
          seen.put("span_id", MDC.get("span_id"));
          seen.put("run_id", MDC.get("run_id"));
          seen.put("job_id", MDC.get("job_id"));
          return payload;
        };
    JobDispatcher dispatcher =
        dispatcher(Map.of("echo", handler), new JobDispatcher.Observers(metrics, tracing));
    assertTrue(dispatcher.tryDispatch(record(job("j-1").build(), PARENT, "legato=1"), NOTHING));

    List<SpanData> finished = spans.getFinishedSpanItems();
    assertEquals(1, finished.size());
    SpanData span = finished.get(0);
    assertEquals("process jobs.echo", span.getName());
    assertEquals(SpanKind.CONSUMER, span.getKind());
    assertEquals(PARENT_TRACE, span.getTraceId());
    assertEquals(PARENT_SPAN, span.getParentSpanId());
    assertEquals(1, span.getLinks().size());
    assertEquals(PARENT_SPAN, span.getLinks().get(0).getSpanContext().getSpanId());
    assertEquals(StatusCode.UNSET, span.getStatus().getStatusCode());
    Map<String, Object> attributes = new HashMap<>();
    span.getAttributes().forEach((k, v) -> attributes.put(k.getKey(), v));
    assertEquals("kafka", attributes.get("messaging.system"));
    assertEquals("process", attributes.get("messaging.operation.type"));
    assertEquals("process", attributes.get("messaging.operation.name"));
    assertEquals("jobs.echo", attributes.get("messaging.destination.name"));
    assertEquals("3", attributes.get("messaging.destination.partition.id"));
    assertEquals(42L, attributes.get("messaging.kafka.offset"));
    assertEquals("legato-workers.echo", attributes.get("messaging.consumer.group.name"));
    assertEquals("j-1", attributes.get("messaging.message.id"));
    assertEquals("r-1", attributes.get("legato.run.id"));
    assertEquals("j-1", attributes.get("legato.job.id"));
    assertEquals("s-1", attributes.get("legato.step.id"));
    assertEquals(2L, attributes.get("legato.attempt"));
    assertEquals("echo", attributes.get("legato.action"));
    assertEquals("wf", attributes.get("legato.workflow.id"));
    assertEquals("COMPLETED", attributes.get("legato.result.status"));

    // The handler ran inside the span, with the log keys set; they are gone afterwards.
    assertEquals(PARENT_TRACE, seen.get("trace"));
    assertEquals(span.getSpanId(), seen.get("span"));
    assertEquals(PARENT_TRACE, seen.get("trace_id"));
    assertEquals(span.getSpanId(), seen.get("span_id"));
    assertEquals("r-1", seen.get("run_id"));
    assertEquals("j-1", seen.get("job_id"));
    assertNull(MDC.get("job_id"));
    assertNull(MDC.get("trace_id"));
    assertFalse(Span.current().getSpanContext().isValid());

    String expected = "00-" + PARENT_TRACE + "-" + span.getSpanId() + "-01";
    ProducerRecord<byte[], byte[]> sent = resultRecord();
    assertEquals(expected, header(sent, "traceparent"));
    assertEquals("legato=1", header(sent, "tracestate"));
    assertEquals(expected, onlyResult().getTraceparent());
    assertEquals(List.of("echo completed"), metrics.events);
  }

  @Test
  void withoutAHeaderTheJobsFieldIsTheParent() throws Exception {
    JobDispatcher dispatcher =
        dispatcher(Map.of("echo", p -> p), new JobDispatcher.Observers(metrics, tracing));
    dispatcher.tryDispatch(record(job("j-2").build(), null, null), NOTHING);
    SpanData span = spans.getFinishedSpanItems().get(0);
    assertEquals(FIELD_TRACE, span.getTraceId());
    assertEquals("b7ad6b7169203331", span.getParentSpanId());
    assertNull(header(resultRecord(), "tracestate"));
    assertEquals(
        "00-" + FIELD_TRACE + "-" + span.getSpanId() + "-01", onlyResult().getTraceparent());
  }

  @Test
  void withNoContextAtAllTheSpanIsARootWithoutLinks() throws Exception {
    JobDispatcher dispatcher =
        dispatcher(Map.of("echo", p -> p), new JobDispatcher.Observers(metrics, tracing));
    dispatcher.tryDispatch(
        record(job("j-3").setTraceparent(null).build(), "garbage", null), NOTHING);
    SpanData span = spans.getFinishedSpanItems().get(0);
    assertFalse(span.getParentSpanContext().isValid());
    assertTrue(span.getLinks().isEmpty());
    // A new trace's id is random: OpenTelemetry sets the W3C "random" flag (0x02) beside sampled.
    assertTrue(
        onlyResult()
            .getTraceparent()
            .startsWith("00-" + span.getTraceId() + "-" + span.getSpanId()),
        onlyResult().getTraceparent());
  }

  @Test
  void aFailedAttemptsSpanIsAnErrorWithItsType() throws Exception {
    Handler failing =
        payload -> {
          throw new ApplicationError("card declined", "CardDeclined");
        };
    JobDispatcher dispatcher =
        dispatcher(Map.of("echo", failing), new JobDispatcher.Observers(metrics, tracing));
    dispatcher.tryDispatch(record(job("j-4").build(), PARENT, null), NOTHING);
    SpanData span = spans.getFinishedSpanItems().get(0);
    assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode());
    assertEquals("CardDeclined", span.getAttributes().get(AttributeKey.stringKey("error.type")));
    assertEquals(
        "FAILED", span.getAttributes().get(AttributeKey.stringKey("legato.result.status")));
    assertEquals(ResultStatus.FAILED, onlyResult().getStatus());
    assertEquals(List.of("echo failed"), metrics.events);
  }

  @Test
  void progressRecordsCarryTheSpansContext() throws Exception {
    JobDispatcher dispatcher =
        dispatcher(Map.of("echo", p -> p), new JobDispatcher.Observers(metrics, tracing));
    Job heartbeating = job("j-5").setHeartbeatTimeoutMs(30_000L).build();
    dispatcher.tryDispatch(record(heartbeating, PARENT, null), NOTHING);
    SpanData span = spans.getFinishedSpanItems().get(0);
    String expected = "00-" + PARENT_TRACE + "-" + span.getSpanId() + "-01";
    int progress = 0;
    for (ProducerRecord<byte[], byte[]> sent : producer.history()) {
      assertEquals(expected, header(sent, "traceparent"));
      if (codec.decodeResultsRecord(sent.value()) instanceof Progress p) {
        assertEquals(ProgressKind.STARTED, p.getKind());
        progress++;
      }
    }
    assertEquals(1, progress);
  }

  @Test
  void skippedJobsAreCountedAndNotTraced() throws Exception {
    JobDispatcher dispatcher =
        dispatcher(Map.of("echo", p -> p), new JobDispatcher.Observers(metrics, tracing));
    long now = System.currentTimeMillis();
    withdrawals.withdraw("j-6", "Withdrawn", now, now);
    dispatcher.tryDispatch(record(job("j-6").build(), PARENT, null), NOTHING);
    assertEquals(List.of("echo skipped"), metrics.events);
    assertTrue(spans.getFinishedSpanItems().isEmpty());
    assertNull(header(producer.history().get(0), "traceparent"));
  }

  @Test
  void tracingOffWritesNoHeaderAndKeepsTheJobsTraceparent() throws Exception {
    Map<String, String> seen = new HashMap<>();
    Handler handler =
        payload -> {
          seen.put("job_id", MDC.get("job_id"));
          seen.put("trace_id", MDC.get("trace_id"));
          return payload;
        };
    JobDispatcher dispatcher = dispatcher(Map.of("echo", handler), JobDispatcher.Observers.NONE);
    dispatcher.tryDispatch(record(job("j-7").build(), PARENT, null), NOTHING);
    ProducerRecord<byte[], byte[]> sent = resultRecord();
    assertFalse(sent.headers().iterator().hasNext());
    assertEquals(FIELD, onlyResult().getTraceparent());
    assertEquals("j-7", seen.get("job_id"));
    assertNull(seen.get("trace_id"));
  }

  /** Records what the dispatcher reports. */
  private static final class RecordingMetrics implements WorkerMetrics {
    final List<String> events = new ArrayList<>();
    private int inFlight;

    @Override
    public void handlerStarted(String action) {
      inFlight++;
    }

    @Override
    public void handlerFinished(String action, boolean failed, long nanos) {
      assertEquals(1, inFlight--);
      assertTrue(nanos >= 0);
      events.add(action + (failed ? " failed" : " completed"));
    }

    @Override
    public void skipped(String action) {
      events.add(action + " skipped");
    }

    @Override
    public InetSocketAddress address() {
      return null;
    }

    @Override
    public void close() {}
  }

  @Test
  void spansOfDifferentJobsDiffer() throws Exception {
    JobDispatcher dispatcher =
        dispatcher(Map.of("echo", p -> p), new JobDispatcher.Observers(metrics, tracing));
    dispatcher.tryDispatch(record(job("a").build(), PARENT, null), NOTHING);
    dispatcher.tryDispatch(record(job("b").build(), PARENT, null), NOTHING);
    List<SpanData> finished = spans.getFinishedSpanItems();
    assertEquals(2, finished.size());
    assertNotEquals(finished.get(0).getSpanId(), finished.get(1).getSpanId());
  }
}
