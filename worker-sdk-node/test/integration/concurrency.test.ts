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

describe("concurrency", () => {
  it("runs at most LEGATO_WORKER_CONCURRENCY handlers at once across actions", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = { ...isolatedEnv(), LEGATO_WORKER_CONCURRENCY: "3" };
    let running = 0;
    let peak = 0;
    const handler = async (payload: unknown): Promise<unknown> => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 50));
      running--;
      return payload;
    };
    startWorker(t, env, (w) => w.register("a", handler).register("b", handler));
    const jobs = Array.from({ length: 24 }, (_, i) =>
      makeJob(i % 2 === 0 ? "a" : "b", i, env.LEGATO_JOBS_TOPIC),
    );
    await produceJobs(env.LEGATO_JOBS_TOPIC, jobs);

    const results = await readResults(env.LEGATO_RESULTS_TOPIC, jobs.length);
    assert.equal(results.filter((r) => r.status === "COMPLETED").length, jobs.length);
    assert.equal(new Set(results.map((r) => r.jobId)).size, jobs.length);
    assert.ok(peak <= 3, `peak concurrency ${peak} exceeds 3`);
    assert.ok(peak >= 2, `handlers should overlap (peak ${peak})`);

    for (const action of ["a", "b"]) {
      await eventually(async () => {
        const offsets = await committedOffsets(
          `${env.LEGATO_GROUP_PREFIX}.${action}`,
          `${env.LEGATO_JOBS_TOPIC}.${action}`,
        );
        const total = [...offsets.values()].reduce((sum, o) => sum + o, 0n);
        return total === 12n ? true : undefined;
      }, `all offsets of ${action} to be committed`);
    }
  });
});
