import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApplicationError, NonRetryableError } from "../../src/index.js";
import { encodeJob } from "../../src/protocol/codec.js";
import {
  committedOffsets,
  eventually,
  isolatedEnv,
  makeJob,
  produce,
  produceJobs,
  readResults,
  requireKafka,
} from "../support/kafka.js";
import { startWorker } from "../support/worker.js";

describe("results", () => {
  it("a returned value is a COMPLETED result that echoes the job, then the offset is committed", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    startWorker(t, env, (w) => w.register("echo", (payload) => ({ echo: payload, sdk: "node" })));
    const job = {
      ...makeJob("echo", { hello: "wörld" }, env.LEGATO_JOBS_TOPIC),
      traceparent: "00-tp",
    };
    await produceJobs(env.LEGATO_JOBS_TOPIC, [job]);

    const [result] = await readResults(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(result?.status, "COMPLETED");
    assert.deepEqual(JSON.parse(result?.output ?? ""), { echo: { hello: "wörld" }, sdk: "node" });
    assert.equal(result?.failure, null);
    assert.deepEqual(
      [result?.jobId, result?.runId, result?.stepId, result?.attempt, result?.action],
      [job.jobId, job.runId, job.stepId, job.attempt, job.action],
    );
    assert.equal(result?.traceparent, "00-tp");
    assert.equal(result?.correlationId, "corr-it");
    assert.equal(result?.workerId, env.LEGATO_WORKER_ID);
    assert.match(result?.sdk ?? "", /^node\/\d+\.\d+\.\d+/);

    const topic = `${env.LEGATO_JOBS_TOPIC}.echo`;
    const committed = await eventually(async () => {
      const offsets = await committedOffsets(`${env.LEGATO_GROUP_PREFIX}.echo`, topic);
      return [...offsets.values()].includes(1n) ? offsets : undefined;
    }, "the job's offset to be committed");
    assert.deepEqual([...committed.values()], [1n]);
  });

  it("a handler error is a FAILED result, never COMPLETED", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    startWorker(t, env, (w) => {
      w.register("fail", (payload) => {
        throw new ApplicationError("boom", { type: "ConformanceError", details: { payload } });
      });
      w.register("fail-plain", () => {
        throw new Error("plain failure");
      });
      w.register("nonretryable", async () => {
        throw new NonRetryableError("declined", { type: "CardDeclined", details: { code: "51" } });
      });
    });
    const jobs = [
      makeJob("fail", { n: 1 }, env.LEGATO_JOBS_TOPIC),
      makeJob("fail-plain", null, env.LEGATO_JOBS_TOPIC),
      makeJob("nonretryable", "card", env.LEGATO_JOBS_TOPIC),
    ];
    await produceJobs(env.LEGATO_JOBS_TOPIC, jobs);

    const results = await readResults(env.LEGATO_RESULTS_TOPIC, 3);
    const byAction = new Map(results.map((r) => [r.action, r]));
    for (const result of results) {
      assert.equal(result.status, "FAILED");
      assert.equal(result.output, null);
      assert.match(result.failure?.stackTrace ?? "", /\n\s+at /);
    }
    const fail = byAction.get("fail")?.failure;
    assert.equal(fail?.type, "ConformanceError");
    assert.equal(fail?.message, "boom");
    assert.equal(fail?.nonRetryable, false);
    assert.deepEqual(JSON.parse(fail?.details ?? ""), { payload: { n: 1 } });
    const plain = byAction.get("fail-plain")?.failure;
    assert.deepEqual(
      [plain?.type, plain?.message, plain?.nonRetryable, plain?.details],
      ["Error", "plain failure", false, null],
    );
    const declined = byAction.get("nonretryable")?.failure;
    assert.deepEqual(
      [declined?.type, declined?.nonRetryable, declined?.details],
      ["CardDeclined", true, '{"code":"51"}'],
    );
  });

  it("a job whose action is not registered fails with UnknownAction and runs nothing", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    let ran = 0;
    startWorker(t, env, (w) => w.register("echo", () => ran++));
    const stray = { ...makeJob("ghost", 1, env.LEGATO_JOBS_TOPIC) };
    // A job on the wrong topic: its action is "ghost", but it sits on the echo topic.
    await produce([
      {
        topic: `${env.LEGATO_JOBS_TOPIC}.echo`,
        key: Buffer.from(stray.runId),
        value: encodeJob(stray),
      },
    ]);

    const [result] = await readResults(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(result?.status, "FAILED");
    assert.equal(result?.failure?.type, "UnknownAction");
    assert.equal(result?.failure?.nonRetryable, true);
    assert.equal(result?.jobId, stray.jobId);
    assert.equal(ran, 0);
  });
});
