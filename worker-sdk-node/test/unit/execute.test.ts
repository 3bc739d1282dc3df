import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApplicationError } from "../../src/errors.js";
import type { Job } from "../../src/protocol/messages.js";
import { type Handler, executeJob } from "../../src/worker/execute.js";

const identity = { workerId: "w-1", sdk: "node/0.1.0" };

function job(overrides: Partial<Job> = {}): Job {
  return {
    jobId: "j-1",
    runId: "r-1",
    stepId: "s-1",
    attempt: 2,
    action: "step1",
    payload: '"Hello"',
    workflowId: "wf",
    workflowVersion: 3,
    queue: "workflow-jobs.step1",
    traceparent: "00-abc-def-01",
    correlationId: "corr-1",
    createdAt: 1,
    deadlineAt: null,
    ...overrides,
  };
}

const handlers = (entries: Record<string, Handler>): Map<string, Handler> =>
  new Map(Object.entries(entries));

describe("executeJob", () => {
  it("turns a return value into a COMPLETED result that echoes the job", async () => {
    const result = await executeJob(
      job(),
      handlers({ step1: (payload) => `Processed: ${String(payload)}` }),
      identity,
    );
    assert.equal(result.status, "COMPLETED");
    assert.equal(result.output, '"Processed: Hello"');
    assert.equal(result.failure, null);
    assert.deepEqual(
      [result.jobId, result.runId, result.stepId, result.attempt, result.action],
      ["j-1", "r-1", "s-1", 2, "step1"],
    );
    assert.equal(result.traceparent, "00-abc-def-01");
    assert.equal(result.correlationId, "corr-1");
    assert.equal(result.workerId, "w-1");
    assert.equal(result.sdk, "node/0.1.0");
    assert.ok(result.startedAt <= result.finishedAt);
  });

  it("passes the parsed payload and the job context", async () => {
    let seen: unknown;
    await executeJob(
      job({ payload: '{"trail":["a"]}' }),
      handlers({ step1: (payload, context) => (seen = { payload, jobId: context.jobId }) }),
      identity,
    );
    assert.deepEqual(seen, { payload: { trail: ["a"] }, jobId: "j-1" });
  });

  it("never reports a handler error as a success", async () => {
    const result = await executeJob(
      job(),
      handlers({
        step1: async () => {
          throw new ApplicationError("boom", { type: "ConformanceError" });
        },
      }),
      identity,
    );
    assert.equal(result.status, "FAILED");
    assert.equal(result.output, null);
    assert.equal(result.failure?.type, "ConformanceError");
  });

  it("fails with UnknownAction, non-retryable, when the action has no handler", async () => {
    let ran = false;
    const result = await executeJob(
      job({ action: "other" }),
      handlers({ step1: () => (ran = true) }),
      identity,
    );
    assert.equal(ran, false);
    assert.equal(result.status, "FAILED");
    assert.equal(result.failure?.type, "UnknownAction");
    assert.equal(result.failure?.nonRetryable, true);
  });

  it("fails with SerializationError when the output has no JSON form", async () => {
    const result = await executeJob(job(), handlers({ step1: () => 1n }), identity);
    assert.equal(result.status, "FAILED");
    assert.equal(result.failure?.type, "SerializationError");
  });

  it("fails with InvalidPayload, non-retryable, when the payload is not JSON", async () => {
    const result = await executeJob(
      job({ payload: "{nope" }),
      handlers({ step1: () => 1 }),
      identity,
    );
    assert.equal(result.failure?.type, "InvalidPayload");
    assert.equal(result.failure?.nonRetryable, true);
  });

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const [label, value] of [
    ["NaN", { value: NaN }],
    ["Infinity", [1, Infinity]],
    ["-Infinity", -Infinity],
    ["a BigInt", { n: 10n }],
    ["a cycle", cyclic],
    ["a lone surrogate", { text: "a\uD800b" }],
    ["a lone surrogate in a key", { ["\uDC00"]: 1 }],
    ["a function", () => 1],
  ] as const) {
    it(`fails with SerializationError, non-retryable, for ${label} (never a silent null)`, async () => {
      const result = await executeJob(job(), handlers({ step1: () => value }), identity);
      assert.equal(result.status, "FAILED");
      assert.equal(result.output, null);
      assert.equal(result.failure?.type, "SerializationError");
      assert.equal(result.failure?.nonRetryable, true);
    });
  }

  it("keeps valid surrogate pairs and nested nulls", async () => {
    const value = { emoji: "😀", list: [null, 1.5, "x"] };
    const result = await executeJob(job(), handlers({ step1: () => value }), identity);
    assert.equal(result.status, "COMPLETED");
    assert.deepEqual(JSON.parse(result.output ?? ""), value);
  });

  it("does not call the handler for an invalid payload", async () => {
    let called = false;
    const result = await executeJob(
      job({ payload: "" }),
      handlers({
        step1: () => {
          called = true;
        },
      }),
      identity,
    );
    assert.equal(result.failure?.type, "InvalidPayload");
    assert.equal(called, false);
  });

  it("reports unbounded recursion as a FAILED RangeError", async () => {
    const down = (n: number): number => down(n + 1) + 1;
    const result = await executeJob(job(), handlers({ step1: () => down(0) }), identity);
    assert.equal(result.status, "FAILED");
    assert.equal(result.failure?.type, "RangeError");
  });

  for (const [label, thrown] of [
    ["a string", "plain"],
    ["a number", 42],
    ["undefined", undefined],
    ["null", null],
    ["an object", { code: 7 }],
  ] as const) {
    it(`reports a thrown ${label} as FAILED "Error"`, async () => {
      const result = await executeJob(
        job(),
        handlers({
          step1: async () => {
            throw thrown;
          },
        }),
        identity,
      );
      assert.equal(result.status, "FAILED");
      assert.equal(result.failure?.type, "Error");
      assert.equal(typeof result.failure?.message, "string");
    });
  }
});
