/**
 * Tracing through Kafka (docs/observability.md): with tracing on, a job's process span continues
 * the job record's context, the handler's spans are its children, and the attempt's Result and
 * Progress records carry its context in their headers and the Result's traceparent field. Off,
 * no header is written and the Result echoes the Job's field. Spans go to the application's
 * tracer provider (registered here, in memory).
 */

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { ApplicationError } from "../../src/index.js";
import { decodeResultsRecord, encodeJob, isProgress } from "../../src/protocol/codec.js";
import type { Result } from "../../src/protocol/messages.js";
import {
  type ConsumedRecord,
  ensureTopic,
  isolatedEnv,
  makeJob,
  produce,
  readRecords,
  requireKafka,
} from "../support/kafka.js";
import { startWorker } from "../support/worker.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SENDER = "00f067aa0ba902b7";
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
after(() => provider.shutdown());

function headers(entries: Record<string, string>): Map<Buffer, Buffer> {
  return new Map(Object.entries(entries).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
}

function resultOf(record: ConsumedRecord): Result | undefined {
  const decoded = decodeResultsRecord(record.value);
  return isProgress(decoded) ? undefined : decoded;
}

describe("tracing through Kafka", () => {
  it("continues the job's trace, and the result and progress records carry the process span", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = { ...isolatedEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" };
    startWorker(t, env, (w) => {
      w.register("traced", (_payload, context) => {
        context.heartbeat({ done: 1 }); // the first heartbeat goes out at once (STARTED)
        return trace.getTracer("app").startActiveSpan("inner", (inner) => {
          inner.end();
          return "ok";
        });
      });
      w.register("failing", () => {
        throw new ApplicationError("no", { type: "Refused" });
      });
    });
    const job = { ...makeJob("traced", null, env.LEGATO_JOBS_TOPIC), traceparent: "ignored" };
    const failing = {
      ...makeJob("failing", null, env.LEGATO_JOBS_TOPIC),
      traceparent: `00-${TRACE}-${SENDER}-01`, // no headers: the field is the context
    };
    await ensureTopic(`${env.LEGATO_JOBS_TOPIC}.traced`);
    await ensureTopic(`${env.LEGATO_JOBS_TOPIC}.failing`);
    await produce([
      {
        topic: `${env.LEGATO_JOBS_TOPIC}.traced`,
        key: Buffer.from(job.runId),
        value: encodeJob(job),
        headers: headers({ traceparent: `00-${TRACE}-${SENDER}-01`, tracestate: "k=v" }),
      },
      {
        topic: `${env.LEGATO_JOBS_TOPIC}.failing`,
        key: Buffer.from(failing.runId),
        value: encodeJob(failing),
      },
    ]);

    const records = await readRecords(env.LEGATO_RESULTS_TOPIC, 3); // STARTED + two Results
    const spans = exporter.getFinishedSpans();
    const process = spans.find((s) => s.attributes["legato.job.id"] === job.jobId);
    assert.ok(process, "the process span of the traced job");
    assert.equal(process.kind, SpanKind.CONSUMER);
    assert.equal(process.name, `process ${env.LEGATO_JOBS_TOPIC}.traced`);
    assert.equal(process.spanContext().traceId, TRACE);
    assert.equal(process.parentSpanContext?.spanId, SENDER);
    assert.equal(
      process.attributes["messaging.consumer.group.name"],
      `${env.LEGATO_GROUP_PREFIX}.traced`,
    );
    const inner = spans.find((s) => s.name === "inner");
    assert.equal(inner?.parentSpanContext?.spanId, process.spanContext().spanId);

    const context = `00-${TRACE}-${process.spanContext().spanId}-01`;
    const ofJob = records.filter((r) => r.key?.toString() === job.runId);
    assert.equal(ofJob.length, 2, "STARTED and the Result");
    for (const record of ofJob) {
      assert.equal(record.headers["traceparent"], context);
      assert.equal(record.headers["tracestate"], "k=v");
    }
    const result = ofJob.map(resultOf).find((r) => r !== undefined);
    assert.equal(result?.status, "COMPLETED");
    assert.equal(result?.traceparent, context);

    const failed = exporter
      .getFinishedSpans()
      .find((s) => s.attributes["legato.job.id"] === failing.jobId);
    assert.equal(failed?.parentSpanContext?.spanId, SENDER);
    assert.equal(failed?.status.code, SpanStatusCode.ERROR);
    assert.equal(failed?.attributes["error.type"], "Refused");
    const failedRecord = records.find((r) => r.key?.toString() === failing.runId);
    assert.ok(failedRecord);
    assert.equal(failedRecord.headers["traceparent"], resultOf(failedRecord)?.traceparent);
    assert.equal(
      failedRecord?.headers["traceparent"],
      `00-${TRACE}-${failed?.spanContext().spanId}-01`,
    );
  });

  it("off by default: no headers, no spans, the Result echoes the Job's traceparent", async (t) => {
    if (!(await requireKafka(t))) return;
    exporter.reset();
    const env = isolatedEnv();
    startWorker(t, env, (w) => w.register("plain", () => "ok"));
    const job = {
      ...makeJob("plain", null, env.LEGATO_JOBS_TOPIC),
      traceparent: `00-${TRACE}-${SENDER}-01`,
    };
    await ensureTopic(`${env.LEGATO_JOBS_TOPIC}.plain`);
    await produce([
      {
        topic: `${env.LEGATO_JOBS_TOPIC}.plain`,
        key: Buffer.from(job.runId),
        value: encodeJob(job),
        headers: headers({ traceparent: `00-${TRACE}-${"1".repeat(16)}-01` }),
      },
    ]);
    const [record] = await readRecords(env.LEGATO_RESULTS_TOPIC, 1);
    assert.ok(record);
    assert.deepEqual(record.headers, {});
    assert.equal(resultOf(record)?.traceparent, job.traceparent);
    assert.deepEqual(exporter.getFinishedSpans(), []);
  });
});
