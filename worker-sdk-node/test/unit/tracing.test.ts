import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { createLogger } from "../../src/logging.js";
import type { Job, Result } from "../../src/protocol/messages.js";
import {
  type JobSource,
  type Tracing,
  incomingCarrier,
  startTracing,
  tracingEnabled,
} from "../../src/observability/tracing.js";

const logger = createLogger("ERROR");
const TRACE = "0af7651916cd43dd8448eb211c80319c";
const SENDER = "b7ad6b7169203331";
const ON = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" };

function job(overrides: Partial<Job> = {}): Job {
  return {
    jobId: "job-1",
    runId: "run-1",
    stepId: "step-a",
    attempt: 2,
    action: "echo",
    payload: "{}",
    workflowId: "wf",
    workflowVersion: 1,
    queue: "default",
    traceparent: null,
    correlationId: null,
    createdAt: 0,
    ...overrides,
  };
}

function headers(entries: Record<string, string>): Map<Buffer, Buffer> {
  return new Map(Object.entries(entries).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
}

function source(entries: Record<string, string> = {}): JobSource {
  return {
    topic: "workflow-jobs.echo",
    partition: 3,
    offset: 41n,
    group: "legato-workers.echo",
    headers: headers(entries),
  };
}

function result(failure: Result["failure"] = null): Result {
  return {
    jobId: "job-1",
    runId: "run-1",
    stepId: "step-a",
    attempt: 2,
    action: "echo",
    status: failure === null ? "COMPLETED" : "FAILED",
    output: failure === null ? "1" : null,
    failure,
    workerId: "w",
    sdk: "node/0",
    startedAt: 0,
    finishedAt: 0,
  };
}

function text(map: Map<Buffer, Buffer>): Record<string, string> {
  return Object.fromEntries([...map].map(([k, v]) => [k.toString(), v.toString()]));
}

describe("tracingEnabled (the spec's rule)", () => {
  const cases: [Record<string, string>, boolean][] = [
    [{}, false],
    [{ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }, true],
    [{ OTEL_TRACES_EXPORTER: "otlp" }, true],
    [{ OTEL_TRACES_EXPORTER: "console" }, true],
    [{ OTEL_TRACES_EXPORTER: "none" }, false],
    [{ OTEL_TRACES_EXPORTER: " None " }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "  " }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }, false],
    [{ OTEL_TRACES_EXPORTER: "otlp", OTEL_SDK_DISABLED: "TRUE" }, false],
    [{ OTEL_TRACES_EXPORTER: "otlp", OTEL_SDK_DISABLED: "false" }, true],
  ];
  for (const [env, expected] of cases) {
    it(`${JSON.stringify(env)} -> ${expected}`, () => {
      assert.equal(tracingEnabled(env), expected);
    });
  }
});

describe("incomingCarrier", () => {
  const header = `00-${TRACE}-${SENDER}-01`;

  it("prefers the record's headers, tracestate included", () => {
    const carrier = incomingCarrier(
      job({ traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-01` }),
      headers({ traceparent: header, tracestate: "a=1", other: "x" }),
    );
    assert.deepEqual(carrier, { traceparent: header, tracestate: "a=1" });
  });

  it("falls back to the Job's traceparent field", () => {
    assert.deepEqual(incomingCarrier(job({ traceparent: header }), headers({})), {
      traceparent: header,
    });
    assert.deepEqual(incomingCarrier(job(), undefined), {});
  });
});

describe("startTracing", () => {
  it("installs a provider of its own when the application has none (service legato-worker)", async () => {
    const tracing = await startTracing({ ...ON, OTEL_TRACES_EXPORTER: "none" }, logger);
    try {
      const span = trace.getTracer("probe").startSpan("probe") as Span & {
        resource: { attributes: Record<string, unknown> };
      };
      assert.equal(span.resource.attributes["service.name"], "legato-worker");
      assert.match(span.spanContext().traceId, /^(?!0+$)[0-9a-f]{32}$/);
      span.end();
    } finally {
      await tracing.close();
      trace.disable();
      context.disable();
      propagation.disable();
    }
  });

  describe("with the application's tracer provider", () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    let tracing: Tracing;

    it("uses it", async () => {
      provider.register();
      tracing = await startTracing(ON, logger);
      const traced = tracing.startJob(job(), source());
      traced.end(result());
      assert.equal(exporter.getFinishedSpans().length, 1);
    });

    it("makes a CONSUMER process span, child of and linked to the job's context", () => {
      exporter.reset();
      const traced = tracing.startJob(
        job(),
        source({ traceparent: `00-${TRACE}-${SENDER}-01`, tracestate: "vendor=1" }),
      );
      traced.end(result());
      const [span] = exporter.getFinishedSpans();
      assert.ok(span);
      assert.equal(span.name, "process workflow-jobs.echo");
      assert.equal(span.kind, SpanKind.CONSUMER);
      assert.equal(span.spanContext().traceId, TRACE);
      assert.equal(span.parentSpanContext?.spanId, SENDER);
      assert.deepEqual(
        span.links.map((link) => [link.context.traceId, link.context.spanId]),
        [[TRACE, SENDER]],
      );
      assert.deepEqual(span.attributes, {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": "workflow-jobs.echo",
        "messaging.destination.partition.id": "3",
        "messaging.kafka.offset": 41,
        "messaging.consumer.group.name": "legato-workers.echo",
        "messaging.message.id": "job-1",
        "legato.run.id": "run-1",
        "legato.job.id": "job-1",
        "legato.step.id": "step-a",
        "legato.attempt": 2,
        "legato.action": "echo",
        "legato.workflow.id": "wf",
        "legato.result.status": "COMPLETED",
      });
      assert.equal(span.status.code, SpanStatusCode.UNSET);
    });

    it("gives the attempt's records the span's context (traceparent, tracestate)", () => {
      exporter.reset();
      const traced = tracing.startJob(
        job(),
        source({ traceparent: `00-${TRACE}-${SENDER}-01`, tracestate: "vendor=1" }),
      );
      traced.end(result());
      const [span] = exporter.getFinishedSpans();
      const expected = `00-${TRACE}-${span?.spanContext().spanId}-01`;
      assert.equal(traced.traceparent, expected);
      assert.deepEqual(text(traced.headers()), { traceparent: expected, tracestate: "vendor=1" });
      assert.equal(traced.traceId, TRACE);
      assert.equal(traced.spanId, span?.spanContext().spanId);
    });

    it("continues the Job's traceparent field when the record has no headers", () => {
      exporter.reset();
      const traced = tracing.startJob(job({ traceparent: `00-${TRACE}-${SENDER}-01` }), source());
      traced.end(result());
      const [span] = exporter.getFinishedSpans();
      assert.equal(span?.parentSpanContext?.spanId, SENDER);
      assert.deepEqual(text(traced.headers()), { traceparent: traced.traceparent });
    });

    it("starts a new trace (no link) when the job carries no context", () => {
      exporter.reset();
      const traced = tracing.startJob(job({ traceparent: "garbage" }), source());
      traced.end(result());
      const [span] = exporter.getFinishedSpans();
      assert.equal(span?.parentSpanContext, undefined);
      assert.deepEqual(span?.links, []);
      assert.match(traced.traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    });

    it("runs the handler with the span active: its spans are children", async () => {
      exporter.reset();
      const traced = tracing.startJob(job(), source());
      await traced.run(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        trace.getTracer("app").startActiveSpan("inner", (inner) => inner.end());
      });
      traced.end(result());
      const spans = exporter.getFinishedSpans();
      const inner = spans.find((s) => s.name === "inner");
      assert.equal(inner?.parentSpanContext?.spanId, traced.spanId);
      assert.equal(inner?.spanContext().traceId, traced.traceId);
      assert.equal(trace.getActiveSpan(), undefined, "nothing stays active outside run()");
    });

    it("marks a failed attempt ERROR with error.type", () => {
      exporter.reset();
      const traced = tracing.startJob(job(), source());
      traced.end(
        result({
          type: "CardDeclined",
          message: "declined",
          nonRetryable: true,
          details: null,
          stackTrace: null,
        }),
      );
      const [span] = exporter.getFinishedSpans();
      assert.equal(span?.status.code, SpanStatusCode.ERROR);
      assert.equal(span?.status.message, "declined");
      assert.equal(span?.attributes["error.type"], "CardDeclined");
      assert.equal(span?.attributes["legato.result.status"], "FAILED");
    });

    it("flushes, and leaves the application's provider running, on close", async () => {
      await tracing.close();
      exporter.reset();
      trace.getTracer("app").startSpan("after").end();
      assert.equal(exporter.getFinishedSpans().length, 1);
      await provider.shutdown();
    });
  });
});
