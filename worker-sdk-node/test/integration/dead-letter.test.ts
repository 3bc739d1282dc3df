import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeJob } from "../../src/protocol/codec.js";
import {
  committedOffsets,
  eventually,
  isolatedEnv,
  makeJob,
  produce,
  readRecords,
  readResults,
  requireKafka,
} from "../support/kafka.js";
import { startWorker } from "../support/worker.js";

describe("poison pills", () => {
  it("go to the DLT with the original bytes, key and headers; the next job still runs", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    startWorker(t, env, (w) => w.register("echo", (payload) => ({ echo: payload })));
    const topic = `${env.LEGATO_JOBS_TOPIC}.echo`;
    const good = makeJob("echo", "after the pill", env.LEGATO_JOBS_TOPIC);
    const key = Buffer.from(good.runId); // same key: same partition, pill first
    const pill = Buffer.from('{"not":"avro"}');
    await produce([
      { topic, key, value: pill, headers: new Map([[Buffer.from("origin"), Buffer.from("it")]]) },
      { topic, key, value: encodeJob(good) },
    ]);

    const [result] = await readResults(env.LEGATO_RESULTS_TOPIC, 1);
    assert.equal(result?.status, "COMPLETED");
    assert.equal(result?.jobId, good.jobId);

    const [dead] = await readRecords(`${env.LEGATO_JOBS_TOPIC}.DLT`, 1);
    assert.ok(dead);
    assert.deepEqual(dead.value, pill);
    assert.deepEqual(dead.key, key);
    const {
      "legato-failed-at": failedAt,
      "legato-source-partition": partition,
      ...headers
    } = dead.headers;
    assert.deepEqual(headers, {
      origin: "it",
      "legato-dlt-reason": "undecodable",
      "legato-error-type": "DecodeError",
      "legato-error-message": "not Avro single-object encoding (missing C3 01 header)",
      "legato-source-topic": topic,
      "legato-source-offset": "0",
      "legato-worker-id": env.LEGATO_WORKER_ID,
    });
    assert.match(partition ?? "", /^[01]$/);
    assert.ok(Math.abs(Number(failedAt) - Date.now()) < 60_000);

    await eventually(async () => {
      const offsets = await committedOffsets(`${env.LEGATO_GROUP_PREFIX}.echo`, topic);
      return offsets.get(Number(partition)) === 2n ? true : undefined;
    }, "the offset to be committed past the pill and the job");
  });

  it("an unknown fingerprint is a poison pill too", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    startWorker(t, env, (w) => w.register("echo", (payload) => payload));
    const bytes = encodeJob(makeJob("echo", 1, env.LEGATO_JOBS_TOPIC));
    bytes.fill(0xab, 2, 10);
    await produce([
      { topic: `${env.LEGATO_JOBS_TOPIC}.echo`, key: Buffer.from("k"), value: bytes },
    ]);
    const [dead] = await readRecords(`${env.LEGATO_JOBS_TOPIC}.DLT`, 1);
    assert.equal(dead?.headers["legato-error-type"], "DecodeError");
    assert.match(dead?.headers["legato-error-message"] ?? "", /abababababababab/);
  });
});
