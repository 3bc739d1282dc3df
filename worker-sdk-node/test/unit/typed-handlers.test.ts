import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import type { Job } from "../../src/protocol/messages.js";
import { type Handler, executeJob } from "../../src/worker/execute.js";
import { type HandlerSchemas, typedHandler } from "../../src/worker/typed.js";
import { Worker } from "../../src/index.js";

const identity = { workerId: "w-1", sdk: "node/test" };

const Order = z.object({ orderId: z.string(), total: z.number() });
const Receipt = z.object({ orderId: z.string(), charged: z.number().nonnegative() });
type Order = z.infer<typeof Order>;

function job(payload: unknown): Job {
  return {
    jobId: "j-1",
    runId: "r-1",
    stepId: "s-1",
    attempt: 1,
    action: "charge",
    payload: JSON.stringify(payload),
    workflowId: "wf",
    workflowVersion: 1,
    queue: "workflow-jobs.charge",
    createdAt: 1,
    deadlineAt: null,
  };
}

async function run<In, Out>(
  handler: Handler<In, Out>,
  schemas: HandlerSchemas<In, Out>,
  payload: unknown,
) {
  return executeJob(job(payload), new Map([["charge", typedHandler(handler, schemas)]]), identity);
}

describe("typed handlers", () => {
  it("validates and converts the input, then the output", async () => {
    let seen: unknown;
    const result = await run(
      (order) => {
        seen = order;
        return { orderId: order.orderId, charged: order.total, extra: "dropped by the schema" };
      },
      { input: Order, output: Receipt },
      { orderId: "o-1", total: 12.5, note: "stripped" },
    );
    assert.equal(result.status, "COMPLETED");
    assert.deepEqual(seen, { orderId: "o-1", total: 12.5 });
    assert.deepEqual(JSON.parse(result.output ?? ""), { orderId: "o-1", charged: 12.5 });
  });

  it("fails an invalid input non-retryably as InvalidPayload, naming input and the field", async () => {
    let called = false;
    const result = await run(
      () => {
        called = true;
        return null;
      },
      { input: Order },
      { orderId: "o-1", total: "12" },
    );
    assert.equal(called, false);
    assert.equal(result.status, "FAILED");
    assert.equal(result.failure?.type, "InvalidPayload");
    assert.equal(result.failure?.nonRetryable, true);
    assert.match(result.failure?.message ?? "", /^input: total: .*number/);
  });

  it("fails an invalid output as InvalidPayload, naming output and the field", async () => {
    const result = await run(
      (order: Order) => ({ orderId: order.orderId, charged: -1 }),
      { input: Order, output: Receipt },
      { orderId: "o-1", total: 1 },
    );
    assert.equal(result.failure?.type, "InvalidPayload");
    assert.equal(result.failure?.nonRetryable, true);
    assert.match(result.failure?.message ?? "", /^output: charged: /);
    assert.deepEqual(JSON.parse(result.failure?.details ?? "").output[0].path, "charged");
  });

  it("names nested fields and every issue", async () => {
    const Lines = z.object({ lines: z.array(z.object({ sku: z.string() })), total: z.number() });
    const result = await run(() => null, { input: Lines }, { lines: [{ sku: 1 }] });
    assert.match(result.failure?.message ?? "", /^input: lines\.0\.sku: .*; total: /);
  });

  it("takes an object with parse() (zod's older API), reading a thrown issues list", async () => {
    const parseOnly = { parse: (value: unknown) => Order.parse(value) };
    const ok = await run(
      (order) => order.total * 2,
      { input: parseOnly },
      { orderId: "a", total: 2 },
    );
    assert.equal(ok.output, "4");
    const bad = await run((order) => order.total, { input: parseOnly }, { orderId: 3, total: 2 });
    assert.match(bad.failure?.message ?? "", /^input: orderId: /);
    const plain = {
      parse: (): number => {
        throw new Error("not a number");
      },
    };
    const thrown = await run((n: number) => n, { input: plain }, "x");
    assert.equal(thrown.failure?.message, "input: not a number");
  });

  it("awaits an asynchronous Standard Schema", async () => {
    const positive = {
      "~standard": {
        version: 1 as const,
        vendor: "test",
        validate: async (value: unknown) =>
          typeof value === "number" && value > 0
            ? { value }
            : { issues: [{ message: "must be positive", path: [{ key: "n" }] }] },
      },
    };
    assert.equal((await run((n: number) => n + 1, { input: positive }, 1)).output, "2");
    const bad = await run((n: number) => n + 1, { input: positive }, -1);
    assert.equal(bad.failure?.message, "input: n: must be positive");
  });

  it("leaves a handler without schemas as it is, and its errors as they are", async () => {
    const plain: Handler = (payload) => payload;
    assert.equal(typedHandler(plain), plain);
    assert.equal(typedHandler(plain, {}), plain);
    const throwing = await run(
      () => {
        throw new Error("handler bug");
      },
      { input: Order, output: Receipt },
      { orderId: "o", total: 1 },
    );
    assert.equal(throwing.failure?.type, "Error");
    assert.equal(throwing.failure?.nonRetryable, false);
  });

  it("registers typed and untyped handlers on a Worker", () => {
    const worker = new Worker({ env: {}, handleSignals: false });
    const untyped = (payload: unknown) => payload;
    worker.register("plain", untyped);
    worker.register("charge", (order) => ({ orderId: order.orderId, charged: order.total }), {
      input: Order,
      output: Receipt,
    });
    const handlers = worker["handlers"];
    assert.equal(handlers.get("plain"), untyped, "an untyped handler is called directly");
    assert.notEqual(handlers.get("charge"), undefined);
  });
});
