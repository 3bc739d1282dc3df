import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  committedOffsets,
  eventually,
  isolatedEnv,
  makeJob,
  produceJobs,
  readResults,
  requireKafka,
} from "../support/kafka.js";
import { latch, startWorker } from "../support/worker.js";

describe("rebalance", () => {
  it("a second worker joining while jobs are in flight: every job answered, offsets reach the end", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = { ...isolatedEnv(), LEGATO_JOB_PARTITIONS: "4", LEGATO_WORKER_CONCURRENCY: "2" };
    const runs = new Map<string, number>();
    const firstStarted = latch();
    const handler = async (payload: unknown, context: { jobId: string }): Promise<unknown> => {
      runs.set(context.jobId, (runs.get(context.jobId) ?? 0) + 1);
      firstStarted.resolve();
      await new Promise((resolve) => setTimeout(resolve, 700));
      return payload;
    };
    startWorker(t, { ...env, LEGATO_WORKER_ID: "first" }, (w) => w.register("work", handler));
    const jobs = Array.from({ length: 16 }, (_, i) => makeJob("work", i, env.LEGATO_JOBS_TOPIC));
    await produceJobs(env.LEGATO_JOBS_TOPIC, jobs);
    await firstStarted.promise;
    startWorker(t, { ...env, LEGATO_WORKER_ID: "second" }, (w) => w.register("work", handler));

    // Results may repeat (a revoked job can run again on its new owner): read until all are in.
    let results = await readResults(env.LEGATO_RESULTS_TOPIC, jobs.length, 60_000);
    while (!jobs.every((j) => results.some((r) => r.jobId === j.jobId))) {
      results = await readResults(env.LEGATO_RESULTS_TOPIC, results.length + 1, 30_000);
    }
    for (const r of results) assert.equal(r.status, "COMPLETED");
    await eventually(
      async () => {
        const offsets = await committedOffsets(
          `${env.LEGATO_GROUP_PREFIX}.work`,
          `${env.LEGATO_JOBS_TOPIC}.work`,
        );
        const total = [...offsets.values()].reduce((sum, o) => sum + o, 0n);
        return total === BigInt(jobs.length) ? true : undefined;
      },
      "offsets to be committed to the end of every partition",
      60_000,
    );
    // A job of a revoked partition may run again on its new owner (at least once), never lost.
    assert.equal(runs.size, jobs.length);
  });
});
