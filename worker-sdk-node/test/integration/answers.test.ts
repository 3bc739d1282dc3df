import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Admin } from "@platformatic/kafka";
import {
  BOOTSTRAP,
  committedOffsets,
  ensureTopic,
  eventually,
  isolatedEnv,
  makeJob,
  produceJobs,
  readResults,
  requireKafka,
} from "../support/kafka.js";
import { startWorker } from "../support/worker.js";

describe("every job gets an answer", () => {
  it("output over LEGATO_MAX_PAYLOAD_BYTES, NaN and an invalid payload are FAILED, non-retryable; the next job still completes", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = { ...isolatedEnv(), LEGATO_MAX_PAYLOAD_BYTES: "1000" };
    startWorker(t, env, (w) => {
      w.register("big", (payload: { bytes: number }) => "x".repeat(payload.bytes));
      w.register("nan", () => ({ value: NaN }));
    });
    const big = makeJob("big", { bytes: 5000 }, env.LEGATO_JOBS_TOPIC);
    const nan = makeJob("nan", null, env.LEGATO_JOBS_TOPIC);
    const invalid = { ...makeJob("nan", null, env.LEGATO_JOBS_TOPIC), payload: "{not json" };
    const small = makeJob("big", { bytes: 10 }, env.LEGATO_JOBS_TOPIC);
    await produceJobs(env.LEGATO_JOBS_TOPIC, [big, nan, invalid, small]);

    const results = await readResults(env.LEGATO_RESULTS_TOPIC, 4);
    const byJob = new Map(results.map((r) => [r.jobId, r]));
    const tooLarge = byJob.get(big.jobId);
    assert.equal(tooLarge?.status, "FAILED");
    assert.equal(tooLarge?.failure?.type, "ResultTooLarge");
    assert.equal(tooLarge?.failure?.nonRetryable, true);
    assert.match(tooLarge?.failure?.message ?? "", /5002 bytes.*limit of 1000 bytes/);
    assert.equal(byJob.get(nan.jobId)?.failure?.type, "SerializationError");
    assert.equal(byJob.get(nan.jobId)?.failure?.nonRetryable, true);
    assert.equal(byJob.get(invalid.jobId)?.failure?.type, "InvalidPayload");
    assert.equal(byJob.get(small.jobId)?.status, "COMPLETED");
    assert.equal(byJob.get(small.jobId)?.output, JSON.stringify("x".repeat(10)));

    await eventually(async () => {
      const total = async (action: string): Promise<bigint> => {
        const offsets = await committedOffsets(
          `${env.LEGATO_GROUP_PREFIX}.${action}`,
          `${env.LEGATO_JOBS_TOPIC}.${action}`,
        );
        return [...offsets.values()].reduce((sum, o) => sum + o, 0n);
      };
      return (await total("big")) === 2n && (await total("nan")) === 2n ? true : undefined;
    }, "every answered job's offset to be committed");
  });

  it("a result Kafka itself refuses as too large is answered by ResultTooLarge, once", async (t) => {
    if (!(await requireKafka(t))) return;
    // The SDK limit is raised above the broker's message.max.bytes (about 1 MB by default).
    const env = { ...isolatedEnv(), LEGATO_MAX_PAYLOAD_BYTES: "5000000" };
    let runs = 0;
    startWorker(t, env, (w) =>
      w.register("big", (payload: { bytes: number }) => {
        runs++;
        return "x".repeat(payload.bytes);
      }),
    );
    const job = makeJob("big", { bytes: 2_000_000 }, env.LEGATO_JOBS_TOPIC);
    await produceJobs(env.LEGATO_JOBS_TOPIC, [job]);
    const [result] = await readResults(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(result?.jobId, job.jobId);
    assert.equal(result?.failure?.type, "ResultTooLarge");
    assert.equal(result?.failure?.nonRetryable, true);
    assert.equal(runs, 1, "the handler never re-runs because publishing failed");
  });

  it("LEGATO_CREATE_TOPICS=false creates nothing", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = { ...isolatedEnv(), LEGATO_CREATE_TOPICS: "false" };
    await ensureTopic(`${env.LEGATO_JOBS_TOPIC}.echo`);
    startWorker(t, env, (w) => w.register("echo", (payload) => payload));
    const admin = new Admin({ clientId: "legato-it", bootstrapBrokers: [BOOTSTRAP] });
    try {
      // The control topic is read before any job consumer starts: the worker waits for it.
      assert.ok(!(await admin.listGroups()).has(`${env.LEGATO_GROUP_PREFIX}.echo`));
      await ensureTopic(env.LEGATO_CONTROL_TOPIC, 1);
      // The worker consumes (its group shows up) without having created the other topics.
      await eventually(async () => {
        const groups = await admin.listGroups();
        return groups.has(`${env.LEGATO_GROUP_PREFIX}.echo`) ? true : undefined;
      }, "the worker's group to exist");
      const topics = await admin.listTopics();
      assert.ok(!topics.includes(env.LEGATO_RESULTS_TOPIC));
      assert.ok(!topics.includes(`${env.LEGATO_JOBS_TOPIC}.DLT`));
    } finally {
      await admin.close();
    }
  });
});
