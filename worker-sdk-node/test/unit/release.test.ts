/**
 * Issue 25: a withdrawn attempt sends nothing and pins no offset; the shutdown releases the
 * attempts still running (FAILED WorkerShutdown); one injectable wall clock, durations on the
 * monotonic clock.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AttemptCancelled, SerializationError } from "../../src/errors.js";
import type { LogFields, Logger } from "../../src/logging.js";
import type { Job, Progress } from "../../src/protocol/messages.js";
import { Attempt } from "../../src/worker/attempt.js";
import { completeClock, systemClock } from "../../src/worker/clock.js";
import { executeJob } from "../../src/worker/execute.js";
import {
  WORKER_SHUTDOWN,
  WORKER_SHUTDOWN_MESSAGE,
  workerShutdownFailure,
} from "../../src/worker/failure.js";
import { OffsetTracker } from "../../src/worker/offsets.js";
import { SkipSummary } from "../../src/worker/skips.js";
import { RunningAttempts, Withdrawals } from "../../src/worker/withdrawals.js";
import { Worker } from "../../src/index.js";
import { FakeClock, settle } from "../support/clock.js";

const identity = { workerId: "w-1", sdk: "node/0.2.0" };

function job(overrides: Partial<Job> = {}): Job {
  return {
    jobId: "j-1",
    runId: "r-1",
    stepId: "s-1",
    attempt: 2,
    action: "step1",
    payload: "{}",
    workflowId: "wf",
    workflowVersion: 1,
    queue: "workflow-jobs.step1",
    createdAt: 1,
    ...overrides,
  };
}

function attemptOf(j: Job, clock = new FakeClock(), onWithdrawn?: () => void) {
  const progress: Progress[] = [];
  const attempt = new Attempt(j, {
    identity,
    clock,
    publishProgress: (record) => {
      progress.push(record);
      return Promise.resolve();
    },
    ...(onWithdrawn === undefined ? {} : { onWithdrawn }),
  });
  return { attempt, progress, clock };
}

const kinds = (progress: Progress[]): string[] => progress.map((p) => `${p.kind} ${p.details}`);

describe("a withdrawn attempt", () => {
  it("sends no Progress after the Cancel: a pending heartbeat is dropped, later calls too", async () => {
    // heartbeatTimeoutMs 3000 -> 1 s interval
    const { attempt, progress, clock } = attemptOf(job({ heartbeatTimeoutMs: 3_000 }));
    const context = attempt.begin(clock.now());
    await settle();
    context.heartbeat({ i: 1 }); // goes out at once
    await settle();
    context.heartbeat({ i: 2 }); // pending: due 1 s after the first
    await clock.advance(100);
    assert.deepEqual(kinds(progress), ["STARTED null", 'HEARTBEAT {"i":1}']);
    assert.equal(attempt.withdraw("RunCancelled"), true);
    assert.equal(context.signal.aborted, true);
    assert.equal(context.cancelReason, "RunCancelled");
    for (let i = 3; i < 30; i++) {
      context.heartbeat({ i });
      await clock.advance(500);
    }
    assert.equal(clock.pending, 0, "no timer left");
    attempt.end(true); // a failure would flush pending details; a withdrawn attempt has none
    await settle();
    assert.deepEqual(kinds(progress), ["STARTED null", 'HEARTBEAT {"i":1}']);
  });

  it("drops a lazy STARTED not sent yet", async () => {
    const { attempt, progress, clock } = attemptOf(job());
    attempt.begin(clock.now());
    await clock.advance(500);
    attempt.withdraw("Superseded");
    await clock.advance(5_000);
    assert.deepEqual(progress, []);
  });

  it("still checks heartbeat() arguments", () => {
    const { attempt, clock } = attemptOf(job());
    const context = attempt.begin(clock.now());
    attempt.withdraw("RunCancelled");
    assert.throws(() => context.heartbeat({ bad: NaN }), SerializationError);
    assert.throws(() => context.heartbeat("x".repeat(70_000)), SerializationError);
    context.heartbeat({ ok: true });
  });

  it("counts as done for its offset at once, in partition order", () => {
    const offsets = new OffsetTracker();
    const first = offsets.track("jobs.step1", 0, 10n);
    const second = offsets.track("jobs.step1", 0, 11n);
    let withdrawn = 0;
    const { attempt, clock } = attemptOf(job(), new FakeClock(), () => {
      withdrawn++;
      first.finish();
    });
    attempt.begin(clock.now());
    assert.deepEqual(offsets.pendingCommits(), []);
    attempt.withdraw("RunCancelled");
    attempt.withdraw("RunCancelled");
    assert.equal(withdrawn, 1, "once");
    assert.deepEqual(offsets.pendingCommits(), [
      { topic: "jobs.step1", partition: 0, offset: 11n },
    ]);
    second.finish(); // the later job of the partition completes: the offset moves past both
    assert.deepEqual(offsets.pendingCommits(), [
      { topic: "jobs.step1", partition: 0, offset: 12n },
    ]);
    first.finish(); // the withdrawn handler ends later and its Result goes out: no change
    assert.deepEqual(offsets.pendingCommits(), [
      { topic: "jobs.step1", partition: 0, offset: 12n },
    ]);
  });

  it("is withdrawn even when the worker had cancelled it itself (startToClose)", async () => {
    let withdrawn = 0;
    const { attempt, clock } = attemptOf(job({ startToCloseMs: 1_000 }), new FakeClock(), () => {
      withdrawn++;
    });
    const context = attempt.begin(clock.now());
    await clock.advance(1_000);
    assert.equal(context.cancelReason, "StartToCloseTimeout");
    assert.equal(attempt.withdraw("HeartbeatTimeout"), false, "signalled before");
    assert.equal(withdrawn, 1);
    assert.equal(attempt.isWithdrawn, true);
    assert.equal(context.cancelReason, "StartToCloseTimeout", "the first reason stays");
  });

  it("is not withdrawn once its handler ended (its Result is on its way)", () => {
    let withdrawn = 0;
    const { attempt, clock } = attemptOf(job(), new FakeClock(), () => withdrawn++);
    attempt.begin(clock.now());
    attempt.end(false);
    assert.equal(attempt.withdraw("RunCancelled"), false);
    assert.equal(withdrawn, 0);
    assert.equal(attempt.isWithdrawn, false);
  });

  it("RunningAttempts.withdraw reaches every running attempt of the jobId", () => {
    const running = new RunningAttempts();
    const a = attemptOf(job()).attempt;
    const b = attemptOf(job()).attempt;
    const c = attemptOf(job({ jobId: "j-2" })).attempt;
    for (const attempt of [a, b, c]) {
      attempt.begin(0);
      running.add(attempt);
    }
    assert.equal(running.withdraw("j-1", "RunCancelled"), 2);
    assert.equal(running.withdraw("j-1", "RunCancelled"), 0, "signalled before");
    assert.equal(running.withdraw("nope", "RunCancelled"), 0);
    assert.equal(a.isWithdrawn && b.isWithdrawn, true);
    assert.equal(c.isWithdrawn, false);
  });
});

describe("the shutdown release", () => {
  it("is FAILED WorkerShutdown, retryable, no details or stack; the handler's message appended", () => {
    assert.equal(
      WORKER_SHUTDOWN_MESSAGE,
      "the worker shut down before the attempt ended; it is queued again without using an attempt",
    );
    assert.deepEqual(workerShutdownFailure(), {
      type: WORKER_SHUTDOWN,
      message: WORKER_SHUTDOWN_MESSAGE,
      nonRetryable: false,
      details: null,
      stackTrace: null,
    });
    assert.deepEqual(workerShutdownFailure("the attempt was cancelled (WorkerShutdown)"), {
      type: "WorkerShutdown",
      message: `${WORKER_SHUTDOWN_MESSAGE}: the attempt was cancelled (WorkerShutdown)`,
      nonRetryable: false,
      details: null,
      stackTrace: null,
    });
  });

  it("sends the pending heartbeat details, then nothing more, and resolves `released`", async () => {
    const { attempt, progress, clock } = attemptOf(job({ heartbeatTimeoutMs: 3_000 }));
    const context = attempt.begin(clock.now());
    await settle();
    context.heartbeat({ i: 1 });
    await settle();
    context.heartbeat({ i: 2 });
    context.heartbeat({ i: 3 }); // pending, due in 1 s
    await clock.advance(200);
    assert.equal(attempt.answeredAtRelease, false);
    assert.equal(attempt.cancel(WORKER_SHUTDOWN), true);
    assert.equal(attempt.answeredAtRelease, true);
    let released = false;
    void attempt.released.then(() => (released = true));
    assert.equal(attempt.release(), true);
    await settle();
    assert.equal(released, true);
    assert.deepEqual(kinds(progress), ["STARTED null", 'HEARTBEAT {"i":1}', 'HEARTBEAT {"i":3}']);
    context.heartbeat({ i: 4 });
    await clock.advance(5_000);
    attempt.end(true); // the handler ends after all: its outcome is discarded
    assert.equal(attempt.release(), false, "once");
    await settle();
    assert.equal(progress.length, 3, "no Progress after the release");
    assert.equal(clock.pending, 0);
  });

  it("sends nothing for a withdrawn attempt", async () => {
    const { attempt, progress, clock } = attemptOf(job({ heartbeatTimeoutMs: 3_000 }));
    const context = attempt.begin(clock.now());
    await settle();
    context.heartbeat({ i: 1 });
    await settle();
    context.heartbeat({ i: 2 });
    attempt.withdraw("RunCancelled");
    attempt.cancel(WORKER_SHUTDOWN);
    assert.equal(attempt.answeredAtRelease, false);
    assert.equal(attempt.release(), true);
    await settle();
    assert.deepEqual(kinds(progress), ["STARTED null", 'HEARTBEAT {"i":1}']);
  });

  it("gives up on one cancelled before the shutdown (startToClose) without sending anything", async () => {
    const { attempt, progress, clock } = attemptOf(
      job({ heartbeatTimeoutMs: 3_000, startToCloseMs: 500 }),
    );
    const context = attempt.begin(clock.now());
    await settle();
    context.heartbeat({ i: 1 });
    await settle();
    context.heartbeat({ i: 2 });
    await clock.advance(500);
    assert.equal(context.cancelReason, "StartToCloseTimeout");
    assert.equal(attempt.cancel(WORKER_SHUTDOWN), false);
    assert.equal(attempt.answeredAtRelease, false);
    assert.equal(attempt.release(), true);
    await clock.advance(5_000);
    assert.deepEqual(kinds(progress), ["STARTED null", 'HEARTBEAT {"i":1}']);
  });

  it("does not release an attempt whose handler ended", () => {
    const { attempt, clock } = attemptOf(job());
    attempt.begin(clock.now());
    attempt.end(true);
    assert.equal(attempt.release(), false);
  });

  it("RunningAttempts.releaseAll gives up on every attempt still running", async () => {
    const running = new RunningAttempts();
    const a = attemptOf(job()).attempt;
    const b = attemptOf(job({ jobId: "j-2" })).attempt;
    const c = attemptOf(job({ jobId: "j-3" })).attempt;
    for (const attempt of [a, b, c]) {
      attempt.begin(0);
      running.add(attempt);
    }
    c.end(false);
    assert.equal(running.cancelAll(WORKER_SHUTDOWN), 2);
    assert.equal(running.releaseAll(), 2);
    const both = await Promise.race([
      Promise.all([a.released, b.released]).then(() => true),
      settle().then(() => false),
    ]);
    assert.equal(both, true);
  });

  it("a handler cancelled at shutdown that throws gets AttemptCancelled from executeJob", async () => {
    // The worker turns this FAILED result into WorkerShutdown (action-consumer); executeJob
    // itself is unchanged.
    const { attempt, clock } = attemptOf(job());
    const pending = executeJob(
      job(),
      new Map([
        [
          "step1",
          (_payload: unknown, context: { signal: AbortSignal }) =>
            new Promise((_resolve, reject) =>
              context.signal.addEventListener("abort", () => reject(context.signal.reason)),
            ),
        ],
      ]),
      identity,
      attempt,
      clock,
    );
    await settle();
    attempt.cancel(WORKER_SHUTDOWN);
    const result = await pending;
    assert.equal(result.failure?.type, "AttemptCancelled");
    assert.equal(result.failure?.message, new AttemptCancelled(WORKER_SHUTDOWN).message);
  });
});

describe("the worker's clock", () => {
  it("gives the Result's and the Progress's wall-clock times", async () => {
    const clock = new FakeClock(1_000_000);
    clock.jumpWall(-60_000);
    const { attempt, progress } = attemptOf(job({ heartbeatTimeoutMs: 3_000 }), clock);
    const result = await executeJob(
      job({ heartbeatTimeoutMs: 3_000 }),
      new Map([
        [
          "step1",
          async () => {
            await clock.advance(2_500);
            return 1;
          },
        ],
      ]),
      identity,
      attempt,
      clock,
    );
    assert.equal(result.startedAt, 940_000);
    assert.equal(result.finishedAt, 942_500);
    assert.equal(progress[0]?.kind, "STARTED");
    assert.equal(progress[0]?.startedAt, 940_000);
    assert.equal(progress[0]?.at, 940_000);
  });

  it("paces heartbeats on the monotonic clock: a wall-clock jump changes nothing", async () => {
    const { attempt, progress, clock } = attemptOf(job({ heartbeatTimeoutMs: 3_000 }));
    const context = attempt.begin(clock.now());
    await settle();
    context.heartbeat({ i: 1 });
    await settle();
    context.heartbeat({ i: 2 }); // due 1 s after the first
    clock.jumpWall(3_600_000); // an hour ahead: not due any sooner
    await clock.advance(999);
    assert.equal(progress.length, 2);
    clock.jumpWall(-7_200_000); // an hour back: not due any later
    await clock.advance(1);
    assert.equal(progress.length, 3);
    assert.equal(progress[2]?.details, '{"i":2}');
    assert.equal(progress[2]?.at, clock.now(), "`at` is the wall clock");
    attempt.end(false);
  });

  it("cancels at startToClose on the monotonic clock, whatever the wall clock does", async () => {
    const { attempt, clock } = attemptOf(job({ startToCloseMs: 1_000 }));
    const context = attempt.begin(clock.now());
    clock.jumpWall(10_000);
    await clock.advance(999);
    assert.equal(context.cancelReason, null);
    await clock.advance(1);
    assert.equal(context.cancelReason, "StartToCloseTimeout");
  });

  it("compares withdrawals' Cancel times with the wall clock", () => {
    const clock = new FakeClock();
    const withdrawals = new Withdrawals(clock);
    withdrawals.add("a", clock.now() - 1_000);
    assert.equal(withdrawals.has("a"), true);
    clock.jumpWall(24 * 60 * 60 * 1_000);
    assert.equal(withdrawals.has("a"), false, "24 h on the wall clock since its `at`");
  });

  it("spaces skip summaries on the monotonic clock", async () => {
    const lines: string[] = [];
    const log = (message: string, _fields?: LogFields): void => void lines.push(message);
    const logger: Logger = { debug: () => undefined, info: log, warning: log, error: log };
    const clock = new FakeClock();
    const summary = new SkipSummary(logger, clock, 10_000);
    summary.record("a", "Withdrawn");
    assert.equal(lines.length, 1);
    clock.jumpWall(60_000);
    summary.record("b", "Withdrawn");
    assert.equal(lines.length, 1, "a wall-clock jump does not end the interval");
    await clock.advance(10_000);
    assert.equal(lines.length, 2);
  });

  it("completes a bare { now } with the system's monotonic clock and timers", async () => {
    const clock = completeClock({ now: () => 42 });
    assert.equal(clock.now(), 42);
    assert.equal(clock.monotonic, systemClock.monotonic);
    const fired = await new Promise<boolean>((resolve) => {
      clock.setTimeout(() => resolve(true), 1);
    });
    assert.equal(fired, true);
    const fake = new FakeClock(5);
    const full = completeClock(fake);
    assert.equal(full.now(), 5);
    let ran = false;
    full.setTimeout(() => (ran = true), 10);
    await fake.advance(10);
    assert.equal(ran, true, "the clock's own timers");
    assert.equal(completeClock(undefined), systemClock);
  });

  it("is a Worker option", () => {
    assert.doesNotThrow(
      () =>
        new Worker({ env: {}, handleSignals: false, clock: { now: () => Date.now() + 60_000 } }),
    );
    assert.doesNotThrow(
      () => new Worker({ env: {}, handleSignals: false, clock: new FakeClock() }),
    );
  });
});
