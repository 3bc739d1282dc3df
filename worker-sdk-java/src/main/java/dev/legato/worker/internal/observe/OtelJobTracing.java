package dev.legato.worker.internal.observe;

import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One CONSUMER span {@code process <job topic>} per attempt (docs/observability.md, "Spans"): its
 * parent and link are the job's W3C context (the record's {@code traceparent}/{@code tracestate}
 * headers, else the Job's {@code traceparent} field), its attributes follow the messaging semantic
 * conventions plus Legato's own, and a failed attempt's span has status ERROR and {@code
 * error.type}.
 */
public final class OtelJobTracing implements JobTracing {
  static final String TRACEPARENT = "traceparent";
  static final String TRACESTATE = "tracestate";

  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> DESTINATION =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> PARTITION =
      AttributeKey.stringKey("messaging.destination.partition.id");
  static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
  static final AttributeKey<String> GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<String> RUN_ID = AttributeKey.stringKey("legato.run.id");
  static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("legato.job.id");
  static final AttributeKey<String> STEP_ID = AttributeKey.stringKey("legato.step.id");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("legato.attempt");
  static final AttributeKey<String> ACTION = AttributeKey.stringKey("legato.action");
  static final AttributeKey<String> WORKFLOW_ID = AttributeKey.stringKey("legato.workflow.id");
  static final AttributeKey<String> RESULT_STATUS = AttributeKey.stringKey("legato.result.status");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private final Tracer tracer;
  private final String groupPrefix;
  private final Runnable flush;

  /**
   * @param groupPrefix the consumer groups' prefix ({@code <prefix>.<action>})
   * @param flush exports the ended spans (the worker is stopping)
   */
  OtelJobTracing(OpenTelemetry openTelemetry, String version, String groupPrefix, Runnable flush) {
    this.tracer = openTelemetry.getTracer("dev.legato.worker", version);
    this.groupPrefix = groupPrefix;
    this.flush = flush;
  }

  /** Tracing with the process's OpenTelemetry (see {@link OtelRuntime}). */
  public static JobTracing fromEnvironment(String version, String groupPrefix) {
    return new OtelJobTracing(
        OtelRuntime.obtain(), version, groupPrefix, () -> OtelRuntime.flush(10_000));
  }

  /** Tracing with the given OpenTelemetry (tests, or an application's own). */
  public static JobTracing with(OpenTelemetry openTelemetry, String version, String groupPrefix) {
    return new OtelJobTracing(openTelemetry, version, groupPrefix, () -> {});
  }

  @Override
  public JobSpan start(ConsumerRecord<byte[], byte[]> record, Job job) {
    Context parent = parentOf(record, job);
    SpanContext remote = Span.fromContext(parent).getSpanContext();
    SpanBuilder builder =
        tracer
            .spanBuilder("process " + record.topic())
            .setSpanKind(SpanKind.CONSUMER)
            .setParent(parent)
            .setAttribute(SYSTEM, "kafka")
            .setAttribute(OPERATION_TYPE, "process")
            .setAttribute(OPERATION_NAME, "process")
            .setAttribute(DESTINATION, record.topic())
            .setAttribute(PARTITION, Integer.toString(record.partition()))
            .setAttribute(OFFSET, record.offset())
            .setAttribute(GROUP, groupPrefix + "." + job.getAction())
            .setAttribute(MESSAGE_ID, job.getJobId())
            .setAttribute(RUN_ID, job.getRunId())
            .setAttribute(JOB_ID, job.getJobId())
            .setAttribute(STEP_ID, job.getStepId())
            .setAttribute(ATTEMPT, (long) job.getAttempt())
            .setAttribute(ACTION, job.getAction());
    if (job.getWorkflowId() != null) {
      builder.setAttribute(WORKFLOW_ID, job.getWorkflowId());
    }
    if (remote.isValid()) {
      builder.addLink(remote);
    }
    Span span = builder.startSpan();
    return new OtelSpan(span, parent.with(span));
  }

  @Override
  public void flush() {
    flush.run();
  }

  /** The job's context: the record's headers if they hold a valid one, else the Job's field. */
  static Context parentOf(ConsumerRecord<byte[], byte[]> record, Job job) {
    Map<String, String> carrier = new LinkedHashMap<>();
    String traceparent = header(record, TRACEPARENT);
    if (traceparent != null) {
      carrier.put(TRACEPARENT, traceparent);
      String tracestate = header(record, TRACESTATE);
      if (tracestate != null) {
        carrier.put(TRACESTATE, tracestate);
      }
      Context fromHeaders = W3C.extract(Context.root(), carrier, GETTER);
      if (Span.fromContext(fromHeaders).getSpanContext().isValid()) {
        return fromHeaders;
      }
    }
    if (job.getTraceparent() == null) {
      return Context.root();
    }
    return W3C.extract(Context.root(), Map.of(TRACEPARENT, job.getTraceparent()), GETTER);
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    if (header == null || header.value() == null) {
      return null;
    }
    return new String(header.value(), StandardCharsets.UTF_8);
  }

  private static final class OtelSpan implements JobSpan {
    private final Span span;
    private final Context context;
    private final Map<String, String> headers;

    OtelSpan(Span span, Context context) {
      this.span = span;
      this.context = context;
      Map<String, String> carrier = new LinkedHashMap<>();
      W3C.inject(Context.root().with(span), carrier, Map::put);
      this.headers = Collections.unmodifiableMap(carrier);
    }

    @Override
    public Map<String, String> headers() {
      return headers;
    }

    @Override
    public String traceparent() {
      return headers.get(TRACEPARENT);
    }

    @Override
    public String traceId() {
      return span.getSpanContext().getTraceId();
    }

    @Override
    public String spanId() {
      return span.getSpanContext().getSpanId();
    }

    @Override
    public Entered enter() {
      Scope scope = context.makeCurrent();
      return scope::close;
    }

    @Override
    public void end(Result result) {
      if (result == null) {
        span.setStatus(StatusCode.ERROR, "the worker made no result");
      } else {
        span.setAttribute(RESULT_STATUS, result.getStatus().name());
        if (result.getStatus() == ResultStatus.FAILED && result.getFailure() != null) {
          span.setAttribute(ERROR_TYPE, result.getFailure().getType());
          span.setStatus(StatusCode.ERROR, result.getFailure().getMessage());
        }
      }
      span.end();
    }
  }
}
