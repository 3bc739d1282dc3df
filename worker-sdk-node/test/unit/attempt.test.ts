import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AttemptCancelled } from "../../src/errors.js";
import type { Job, Progress } from "../../src/protocol/messages.js";
import { Attempt } from "../../src/worker/attempt.js";
import { type Handler, executeJob } from "../../src/worker/execute.js";
import { RunningAttempts } from "../../src/worker/withdrawals.js";
import { FakeClock, settle } from "../support/clock.js";

const identity = { workerId: "w-1", sdk: "node/0.2.0" };

function job(overrides: Partial<Job> = {}): Job {
  return {
    jobId: "j-1",
    runId: "r-1",
    stepId: "s-1",
    attempt: 3,
    action: "step1",
    payload: "{}",
    workflowId: "wf",
    workflowVersion: 1,
    queue: "workflow-jobs.step1",
    createdAt: 1,
    ...overrides,
  };
}

function attemptOf(j: Job, clock = new FakeClock()) {
  const progress: Progress[] = [];
  let acked = 0;
  const attempt = new Attempt(j, {
    identity,
    clock,
    publishProgress: (record) => {
      progress.push(record);
      return Promise.resolve();
    },
    onStartedAcked: () => acked++,
  });
  return { attempt, progress, clock, acked: () => acked };
}

describe("Attempt cancellation", () => {
  it("aborts the signal with a AttemptCancelled carrying the reason", () => {
    const { attempt } = attemptOf(job());
    const context = attempt.begin(0);
    assert.equal(context.signal.aborted, false);
    assert.equal(context.cancelReason, null);
    assert.equal(attempt.cancel("RunCancelled"), true);
    assert.equal(context.signal.aborted, true);
    assert.equal(context.cancelReason, "RunCancelled");
    assert.ok(context.signal.reason instanceof AttemptCancelled);
    assert.equal((context.signal.reason as AttemptCancelled).reason, "RunCancelled");
    assert.throws(() => context.signal.throwIfAborted(), AttemptCancelled);
    assert.equal(attempt.cancel("Superseded"), false, "the first reason stays");
    assert.equal(context.cancelReason, "RunCancelled");
  });

  it("gives an already aborted signal when it is first looked at after the cancel", () => {
    const { attempt } = attemptOf(job());
    const context = attempt.begin(0);
    attempt.cancel("HeartbeatTimeout");
    assert.equal(context.signal.aborted, true);
    assert.equal((context.signal.reason as AttemptCancelled).reason, "HeartbeatTimeout");
  });

  it("does not cancel an attempt whose handler ended", () => {
    const { attempt } = attemptOf(job());
    const context = attempt.begin(0);
    attempt.end(false);
    assert.equal(attempt.cancel("RunCancelled"), false);
    assert.equal(context.signal.aborted, false);
  });

  it("cancels with StartToCloseTimeout once startToCloseMs elapsed on its own clock", async () => {
    const { attempt, clock } = attemptOf(job({ startToCloseMs: 1_000 }));
    const context = attempt.begin(clock.now());
    await clock.advance(999);
    assert.equal(context.signal.aborted, false);
    await clock.advance(1);
    assert.equal(context.cancelReason, "StartToCloseTimeout");
    assert.equal(context.signal.aborted, true);
  });

  it("stops the startToClose timer when the handler ends", async () => {
    const { attempt, clock } = attemptOf(job({ startToCloseMs: 1_000 }));
    attempt.begin(clock.now());
    attempt.end(false);
    assert.equal(clock.pending, 0);
  });

  it("is found by jobId among the running attempts, and all are cancelled at shutdown", () => {
    const running = new RunningAttempts();
    const a = attemptOf(job()).attempt;
    const b = attemptOf(job()).attempt; // the same jobId twice (a redelivered copy)
    const c = attemptOf(job({ jobId: "j-2" })).attempt;
    for (const attempt of [a, b, c]) running.add(attempt);
    assert.equal(running.size, 3);
    assert.equal(running.cancel("j-1", "RunCancelled"), 2);
    assert.equal(running.cancel("j-1", "RunCancelled"), 0, "already cancelled");
    assert.equal(running.cancel("nope", "RunCancelled"), 0);
    running.delete(a);
    running.delete(a);
    assert.equal(running.size, 2);
    assert.equal(running.cancelAll("WorkerShutdown"), 1);
    assert.equal(c.cancelReason, "WorkerShutdown");
    running.delete(b);
    running.delete(c);
    assert.equal(running.size, 0);
  });
});

describe("Attempt context", () => {
  it("offers the job's limits and the parsed details of an earlier attempt", () => {
    const { attempt } = attemptOf(
      job({
        deadlineAt: 5,
        startToCloseMs: 60_000,
        heartbeatTimeoutMs: 3_000,
        lastHeartbeatDetails: '{"done":4}',
      }),
    );
    const context = attempt.begin(0);
    assert.equal(context.attempt, 3);
    assert.equal(context.deadlineAt, 5);
    assert.equal(context.startToCloseMs, 60_000);
    assert.equal(context.heartbeatTimeoutMs, 3_000);
    assert.deepEqual(context.lastHeartbeatDetails, { done: 4 });
    attempt.end(false);
  });

  it("heartbeat() can be called detached from the context", async () => {
    const { attempt, progress } = attemptOf(job());
    const { heartbeat } = attempt.begin(0);
    heartbeat({ done: 1 });
    await settle();
    assert.equal(progress.length, 1);
    assert.equal(progress[0]?.details, '{"done":1}');
    attempt.end(false);
  });

  it("heartbeat() throws SerializationError to its caller and sends nothing", () => {
    const { attempt, progress } = attemptOf(job());
    const context = attempt.begin(0);
    assert.throws(() => context.heartbeat({ n: NaN }), { name: "SerializationError" });
    assert.throws(() => context.heartbeat("x".repeat(70_000)), TypeError);
    assert.equal(progress.length, 0);
    attempt.end(false);
  });
});

describe("executeJob with an attempt", () => {
  const run = async (j: Job, handler: Handler, clock = new FakeClock()) => {
    const h = attemptOf(j, clock);
    const result = await executeJob(j, new Map([["step1", handler]]), identity, h.attempt);
    await settle();
    return { ...h, result };
  };

  it("reports STARTED at once with a heartbeat timeout, acknowledged once", async () => {
    const { progress, result, acked } = await run(job({ heartbeatTimeoutMs: 1_500 }), () => 1);
    assert.equal(result.status, "COMPLETED");
    assert.deepEqual(
      progress.map((p) => p.kind),
      ["STARTED"],
    );
    const started = progress[0] as Progress;
    assert.equal(started.startedAt, result.startedAt);
    assert.deepEqual(
      [started.jobId, started.runId, started.stepId, started.attempt, started.action],
      ["j-1", "r-1", "s-1", 3, "step1"],
    );
    assert.deepEqual([started.workerId, started.sdk], ["w-1", "node/0.2.0"]);
    assert.equal(started.details, null);
    assert.equal(started.reason, null);
    assert.equal(acked(), 1);
  });

  it("reports nothing for a handler that returns at once without a heartbeat timeout", async () => {
    const { progress, clock } = await run(job(), () => 1);
    await clock.advance(5_000);
    assert.deepEqual(progress, []);
  });

  it("sends the pending details before a FAILED result", async () => {
    const { progress, result } = await run(job(), (_payload, context) => {
      context.heartbeat({ done: 1 });
      context.heartbeat({ done: 2 });
      throw new Error("boom");
    });
    assert.equal(result.status, "FAILED");
    assert.deepEqual(
      progress.map((p) => [p.kind, p.details]),
      [
        ["STARTED", '{"done":1}'],
        ["HEARTBEAT", '{"done":2}'],
      ],
    );
  });

  it("sends the pending details when the output cannot be serialised (a FAILED result)", async () => {
    const { progress, result } = await run(job(), (_payload, context) => {
      context.heartbeat({ done: 1 });
      context.heartbeat({ done: 2 });
      return NaN;
    });
    assert.equal(result.failure?.type, "SerializationError");
    assert.equal(progress.at(-1)?.details, '{"done":2}');
  });

  it("drops the pending details after a success", async () => {
    const { progress } = await run(job(), (_payload, context) => {
      context.heartbeat({ done: 1 });
      context.heartbeat({ done: 2 });
      return "ok";
    });
    assert.deepEqual(
      progress.map((p) => p.details),
      ['{"done":1}'],
    );
  });

  it("a handler that throws its cancellation error ends FAILED (the result is still sent)", async () => {
    const clock = new FakeClock();
    const h = attemptOf(job(), clock);
    const handler: Handler = (_payload, context) =>
      new Promise((_resolve, reject) => {
        context.signal.addEventListener("abort", () => reject(context.signal.reason as Error));
      });
    const pending = executeJob(job(), new Map([["step1", handler]]), identity, h.attempt);
    h.attempt.cancel("RunCancelled");
    const result = await pending;
    assert.equal(result.status, "FAILED");
    assert.equal(result.failure?.type, "AttemptCancelled");
    assert.match(result.failure?.message ?? "", /RunCancelled/);
  });
});
