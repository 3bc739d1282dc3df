/** Protocol v2 against a real Kafka: the control topic, stale attempts, heartbeats, cancellation. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AttemptCancelled } from "../../src/errors.js";
import type { JobContext } from "../../src/worker/context.js";
import {
  committedOffsets,
  eventually,
  isolatedEnv,
  makeJob,
  produceCancel,
  produceJobs,
  readResultsAndProgress,
  requireKafka,
  withTimeout,
} from "../support/kafka.js";
import { latch, startWorker } from "../support/worker.js";

describe("protocol v2", () => {
  it("skips what the control topic withdrew before the worker started, and past deadlines", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    const ran: string[] = [];
    const withdrawn = makeJob("count", 1, env.LEGATO_JOBS_TOPIC);
    const late = { ...makeJob("count", 2, env.LEGATO_JOBS_TOPIC), deadlineAt: Date.now() - 1 };
    const fresh = {
      ...makeJob("count", 3, env.LEGATO_JOBS_TOPIC),
      deadlineAt: Date.now() + 600_000,
    };
    // The Cancel is written while no worker runs: the worker reads it before its first job.
    await produceCancel(env.LEGATO_CONTROL_TOPIC, withdrawn, "Superseded");
    const { worker } = startWorker(t, env, (w) =>
      w.register("count", (_payload, context) => ran.push(context.jobId)),
    );
    await produceJobs(env.LEGATO_JOBS_TOPIC, [withdrawn, late, fresh]);

    const { results, progress } = await readResultsAndProgress(
      env.LEGATO_RESULTS_TOPIC,
      1,
      30_000,
      2,
    );
    assert.equal(results[0]?.jobId, fresh.jobId);
    const skipped = progress.filter((p) => p.kind === "SKIPPED");
    const reasons = new Map(skipped.map((p) => [p.jobId, p.reason]));
    assert.equal(reasons.get(withdrawn.jobId), "Withdrawn");
    assert.equal(reasons.get(late.jobId), "DeadlinePassed");
    assert.deepEqual(ran, [fresh.jobId], "stale attempts never reach the handler");
    assert.ok(
      progress.every((p) => p.kind === "SKIPPED"),
      "no STARTED for a no-op job",
    );
    for (const p of skipped) {
      assert.equal(p.workerId, worker.settings.workerId);
      assert.equal(p.details, null);
      assert.equal(p.startedAt, p.at);
    }
    await eventually(async () => {
      const offsets = await committedOffsets(
        `${env.LEGATO_GROUP_PREFIX}.count`,
        `${env.LEGATO_JOBS_TOPIC}.count`,
      );
      const total = [...offsets.values()].reduce((sum, offset) => sum + offset, 0n);
      return total === 3n ? true : undefined;
    }, "offsets committed past the skipped jobs");
  });

  it("a Cancel aborts the running handler's signal; its result is still sent", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    const started = latch<JobContext>();
    startWorker(t, env, (w) =>
      w.register("wait", (_payload, context) => {
        started.resolve(context);
        return new Promise((_resolve, reject) =>
          context.signal.addEventListener("abort", () => reject(context.signal.reason as Error)),
        );
      }),
    );
    const job = makeJob("wait", null, env.LEGATO_JOBS_TOPIC);
    await produceJobs(env.LEGATO_JOBS_TOPIC, [job]);
    const context = await withTimeout(started.promise, 30_000, () => "the handler to start");
    const sent = Date.now();
    await produceCancel(env.LEGATO_CONTROL_TOPIC, job, "RunCancelled");
    await withTimeout(
      new Promise((resolve) => {
        if (context.signal.aborted) resolve(undefined);
        else context.signal.addEventListener("abort", resolve);
      }),
      3_000,
      () => "the signal to abort within 3 s of the Cancel",
    );
    assert.ok(Date.now() - sent < 3_000);
    assert.equal(context.cancelReason, "RunCancelled");
    assert.ok(context.signal.reason instanceof AttemptCancelled);
    const { results } = await readResultsAndProgress(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(results[0]?.status, "FAILED");
    assert.equal(results[0]?.failure?.type, "AttemptCancelled");
  });

  it("a withdrawn attempt that runs on pins no offset and sends no Progress; its Result still goes", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = { ...isolatedEnv(), LEGATO_JOB_PARTITIONS: "1" };
    const started = latch<JobContext>();
    const release = latch();
    startWorker(t, env, (w) =>
      w.register("deaf", async (payload: { later?: boolean }, context) => {
        if (payload?.later === true) return { later: true };
        started.resolve(context);
        // heartbeats every 20 ms until released, whatever the signal says
        for (let i = 1; ; i++) {
          const go = await Promise.race([
            release.promise.then(() => true),
            new Promise((resolve) => setTimeout(() => resolve(false), 20)),
          ]);
          if (go) break;
          context.heartbeat({ i });
        }
        return { reason: context.cancelReason };
      }),
    );
    const job = { ...makeJob("deaf", null, env.LEGATO_JOBS_TOPIC), heartbeatTimeoutMs: 300 };
    await produceJobs(env.LEGATO_JOBS_TOPIC, [job]);
    const context = await withTimeout(started.promise, 30_000, () => "the handler to start");
    await readResultsAndProgress(env.LEGATO_RESULTS_TOPIC, 0, 30_000, 3); // heartbeats flow
    await produceCancel(env.LEGATO_CONTROL_TOPIC, job, "RunCancelled");
    await eventually(
      () => Promise.resolve(context.signal.aborted ? true : undefined),
      "the signal to abort",
    );
    const later = makeJob("deaf", { later: true }, env.LEGATO_JOBS_TOPIC);
    await produceJobs(env.LEGATO_JOBS_TOPIC, [later]);
    await eventually(async () => {
      const offsets = await committedOffsets(
        `${env.LEGATO_GROUP_PREFIX}.deaf`,
        `${env.LEGATO_JOBS_TOPIC}.deaf`,
      );
      return offsets.get(0) === 2n ? true : undefined;
    }, "the offset committed past both jobs while the first handler still runs");
    const { progress: before } = await readResultsAndProgress(env.LEGATO_RESULTS_TOPIC, 1);
    await new Promise((resolve) => setTimeout(resolve, 500)); // 25 heartbeat() calls more
    release.resolve();
    const { results, progress } = await readResultsAndProgress(env.LEGATO_RESULTS_TOPIC, 2);
    assert.deepEqual(
      results.map((r) => r.jobId),
      [later.jobId, job.jobId],
    );
    assert.equal(results[1]?.output, '{"reason":"RunCancelled"}', "its Result still goes out");
    const mine = progress.filter((p) => p.jobId === job.jobId);
    assert.equal(
      mine.length,
      before.filter((p) => p.jobId === job.jobId).length,
      "no Progress after the later job's Result",
    );
  });

  it("stores a heartbeating attempt's offset once STARTED is acknowledged, and coalesces its heartbeats", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    const release = latch();
    const started = latch();
    startWorker(t, env, (w) =>
      w.register("beat", async (_payload, context) => {
        started.resolve();
        for (let i = 1; i <= 20; i++) {
          context.heartbeat({ done: i });
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await release.promise;
        return context.lastHeartbeatDetails;
      }),
    );
    const job = {
      ...makeJob("beat", null, env.LEGATO_JOBS_TOPIC),
      heartbeatTimeoutMs: 60_000,
      lastHeartbeatDetails: '{"done":7}',
    };
    await produceJobs(env.LEGATO_JOBS_TOPIC, [job]);
    await withTimeout(started.promise, 30_000, () => "the handler to start");
    await eventually(async () => {
      const offsets = await committedOffsets(
        `${env.LEGATO_GROUP_PREFIX}.beat`,
        `${env.LEGATO_JOBS_TOPIC}.beat`,
      );
      return [...offsets.values()].includes(1n) ? true : undefined;
    }, "the offset committed while the handler still runs");
    release.resolve();
    const { results, progress } = await readResultsAndProgress(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(results[0]?.output, '{"done":7}', "the details of the earlier attempt");
    // heartbeatTimeoutMs 60 s -> 20 s interval: STARTED, then the first heartbeat (once STARTED
    // is acknowledged, with the latest details by then); the other 19 calls coalesced away
    assert.deepEqual(
      progress.map((p) => p.kind),
      ["STARTED", "HEARTBEAT"],
    );
    assert.equal(progress[0]?.details, null);
    assert.ok(JSON.parse(progress[1]?.details ?? "null").done >= 1, String(progress[1]?.details));
  });

  it("the drain limit cancels the handlers still running (WorkerShutdown)", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = { ...isolatedEnv(), LEGATO_SHUTDOWN_TIMEOUT_MS: "300" };
    const started = latch<JobContext>();
    const { worker, done } = startWorker(t, env, (w) =>
      w.register("wait", async (_payload, context) => {
        started.resolve(context);
        await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
        return { reason: context.cancelReason };
      }),
    );
    const job = makeJob("wait", null, env.LEGATO_JOBS_TOPIC);
    await produceJobs(env.LEGATO_JOBS_TOPIC, [job]);
    const context = await withTimeout(started.promise, 30_000, () => "the handler to start");
    await withTimeout(worker.stop(), 15_000, () => "stop() to end");
    await done;
    assert.equal(context.cancelReason, "WorkerShutdown");
    const { results } = await readResultsAndProgress(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(results[0]?.output, '{"reason":"WorkerShutdown"}', "sent before the exit");
  });
});
