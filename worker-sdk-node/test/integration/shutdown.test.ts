import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import {
  committedOffsets,
  ensureTopic,
  eventually,
  isolatedEnv,
  makeJob,
  produceJobs,
  readResults,
  withTimeout,
} from "../support/kafka.js";
import { requireKafka } from "../support/kafka.js";
import { latch, startWorker } from "../support/worker.js";

const RUN_WORKER = fileURLToPath(new URL("../../conformance/run-worker", import.meta.url));

describe("graceful shutdown", () => {
  it("stop() lets the in-flight job finish, publishes its result and commits its offset", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    const started = latch();
    const release = latch();
    let finished = false;
    const { worker, done } = startWorker(t, env, (w) =>
      w.register("slow", async () => {
        started.resolve();
        await release.promise;
        finished = true;
        return "finished";
      }),
    );
    const job = makeJob("slow", null, env.LEGATO_JOBS_TOPIC);
    await produceJobs(env.LEGATO_JOBS_TOPIC, [job]);
    await withTimeout(started.promise, 30_000, () => "the handler to start");

    const stopping = worker.stop();
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false, "stop() waits for the in-flight handler");
    release.resolve();
    await stopping;
    await done;
    assert.equal(finished, true);

    const [result] = await readResults(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(result?.status, "COMPLETED");
    assert.equal(result?.jobId, job.jobId);
    const offsets = await committedOffsets(
      `${env.LEGATO_GROUP_PREFIX}.slow`,
      `${env.LEGATO_JOBS_TOPIC}.slow`,
    );
    assert.deepEqual([...offsets.values()], [1n], "committed before the consumer closed");
  });

  it("a handler that outlives the drain and the grace is released: FAILED WorkerShutdown, offset committed", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = { ...isolatedEnv(), LEGATO_SHUTDOWN_TIMEOUT_MS: "300" };
    const started = latch();
    const never = latch();
    let ended = false;
    const { worker, done } = startWorker(t, env, (w) =>
      w.register("stuck", async () => {
        started.resolve();
        await never.promise; // deaf to its cancellation
        ended = true;
        return { late: true };
      }),
    );
    const job = makeJob("stuck", null, env.LEGATO_JOBS_TOPIC);
    await produceJobs(env.LEGATO_JOBS_TOPIC, [job]);
    await withTimeout(started.promise, 30_000, () => "the handler to start");
    await withTimeout(worker.stop(), 15_000, () => "stop() to end");
    await done;
    assert.equal(ended, false, "the handler still runs: nothing is killed");
    const offsets = await committedOffsets(
      `${env.LEGATO_GROUP_PREFIX}.stuck`,
      `${env.LEGATO_JOBS_TOPIC}.stuck`,
    );
    assert.deepEqual([...offsets.values()], [1n], "answered: Kafka does not redeliver it");
    never.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ended, true);
    const results = await readResults(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(results.length, 1);
    assert.equal(results[0]?.jobId, job.jobId);
    assert.equal(results[0]?.status, "FAILED");
    assert.deepEqual(
      { ...results[0]?.failure },
      {
        type: "WorkerShutdown",
        message:
          "the worker shut down before the attempt ended; it is queued again without using an attempt",
        nonRetryable: false,
        details: null,
        stackTrace: null,
      },
    );
    assert.equal(results[0]?.attempt, job.attempt);
  });

  it("a handler that throws on WorkerShutdown is answered FAILED WorkerShutdown with its message", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = { ...isolatedEnv(), LEGATO_SHUTDOWN_TIMEOUT_MS: "300" };
    const started = latch();
    const { worker, done } = startWorker(t, env, (w) =>
      w.register("wait", async (_payload, context) => {
        started.resolve();
        await new Promise((_resolve, reject) =>
          context.signal.addEventListener("abort", () => reject(new Error("gave up"))),
        );
      }),
    );
    await produceJobs(env.LEGATO_JOBS_TOPIC, [makeJob("wait", null, env.LEGATO_JOBS_TOPIC)]);
    await withTimeout(started.promise, 30_000, () => "the handler to start");
    await withTimeout(worker.stop(), 15_000, () => "stop() to end");
    await done;
    const [result] = await readResults(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(result?.failure?.type, "WorkerShutdown");
    assert.equal(
      result?.failure?.message,
      "the worker shut down before the attempt ended; it is queued again without using an attempt: gave up",
    );
    assert.equal(result?.failure?.stackTrace, null);
    const offsets = await committedOffsets(
      `${env.LEGATO_GROUP_PREFIX}.wait`,
      `${env.LEGATO_JOBS_TOPIC}.wait`,
    );
    assert.deepEqual([...offsets.values()], [1n]);
  });

  it("SIGTERM drains the in-flight job, then the process exits 0", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    const child = spawn(RUN_WORKER, [], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    t.after(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    const exited = once(child, "exit");
    const lines = createInterface({ input: child.stdout });
    const job = makeJob("slow", { ms: 1500 }, env.LEGATO_JOBS_TOPIC);
    // The child creates its topics at start; make sure the job topic exists before producing.
    await ensureTopic(`${env.LEGATO_JOBS_TOPIC}.slow`);
    await produceJobs(env.LEGATO_JOBS_TOPIC, [job]);
    await withTimeout(
      (async () => {
        for await (const line of lines) if (line === `STARTED ${job.jobId}`) return;
        throw new Error("worker stdout closed before the job started");
      })(),
      30_000,
      () => "STARTED on the worker's stdout",
    );

    child.kill("SIGTERM");
    const [code, signal] = await withTimeout(exited, 30_000, () => "the worker to exit");
    assert.deepEqual([code, signal], [0, null]);
    const [result] = await readResults(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(result?.status, "COMPLETED");
    assert.deepEqual(JSON.parse(result?.output ?? ""), { slept: 1500 });
    await eventually(async () => {
      const offsets = await committedOffsets(
        `${env.LEGATO_GROUP_PREFIX}.slow`,
        `${env.LEGATO_JOBS_TOPIC}.slow`,
      );
      return [...offsets.values()].includes(1n) ? true : undefined;
    }, "the drained job's offset to be committed");
  });
});
