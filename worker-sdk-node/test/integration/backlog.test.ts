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
import { startWorker } from "../support/worker.js";

describe("backlog", () => {
  it("long jobs and a short max poll interval: every job runs exactly once, offsets committed", async (t) => {
    if (!(await requireKafka(t))) return;
    // 8 jobs of 2 s on 2 slots: 8 s of work, more than the 6 s poll interval and session.
    const env = {
      ...isolatedEnv(),
      LEGATO_WORKER_CONCURRENCY: "2",
      LEGATO_MAX_POLL_INTERVAL_MS: "6000",
      LEGATO_SESSION_TIMEOUT_MS: "6000",
    };
    const runs = new Map<string, number>();
    let running = 0;
    let peak = 0;
    startWorker(t, env, (w) =>
      w.register("long", async (_payload, context) => {
        runs.set(context.jobId, (runs.get(context.jobId) ?? 0) + 1);
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        running--;
        return { done: context.jobId };
      }),
    );
    const jobs = Array.from({ length: 8 }, (_, i) => makeJob("long", i, env.LEGATO_JOBS_TOPIC));
    await produceJobs(env.LEGATO_JOBS_TOPIC, jobs);

    const results = await readResults(env.LEGATO_RESULTS_TOPIC, jobs.length, 60_000);
    assert.equal(results.filter((r) => r.status === "COMPLETED").length, jobs.length);
    assert.deepEqual(new Set(results.map((r) => r.jobId)), new Set(jobs.map((j) => j.jobId)));
    await eventually(async () => {
      const offsets = await committedOffsets(
        `${env.LEGATO_GROUP_PREFIX}.long`,
        `${env.LEGATO_JOBS_TOPIC}.long`,
      );
      const total = [...offsets.values()].reduce((sum, o) => sum + o, 0n);
      return total === BigInt(jobs.length) ? true : undefined;
    }, "all offsets to be committed");
    assert.deepEqual(
      [...runs.entries()].filter(([, n]) => n !== 1),
      [],
      "no job ran twice",
    );
    assert.equal(runs.size, jobs.length);
    assert.ok(peak <= 2, `peak concurrency ${peak} exceeds 2`);
  });
});
