import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecodeError } from "../../src/protocol/codec.js";
import { deadLetter } from "../../src/worker/dead-letter.js";

describe("deadLetter", () => {
  const message = {
    key: Buffer.from("run-1"),
    value: Buffer.from("not avro"),
    headers: new Map([
      [Buffer.from("trace"), Buffer.from("abc")],
      [Buffer.from("legato-dlt-reason"), Buffer.from("stale")],
    ]),
    topic: "workflow-jobs.step1",
    partition: 4,
    offset: 1234n,
  };

  it("keeps the original bytes and key and adds the exact header set", () => {
    const error = new DecodeError("not Avro single-object encoding (missing C3 01 header)");
    const dead = deadLetter(message, error, "workflow-jobs.DLT", "w-1", 1763776800000);
    assert.equal(dead.topic, "workflow-jobs.DLT");
    assert.equal(dead.key, message.key);
    assert.equal(dead.value, message.value);
    const headers = Object.fromEntries(
      [...(dead.headers as Map<Buffer, Buffer>)].map(([k, v]) => [k.toString(), v.toString()]),
    );
    assert.deepEqual(headers, {
      trace: "abc",
      "legato-dlt-reason": "undecodable",
      "legato-error-type": "DecodeError",
      "legato-error-message": "not Avro single-object encoding (missing C3 01 header)",
      "legato-source-topic": "workflow-jobs.step1",
      "legato-source-partition": "4",
      "legato-source-offset": "1234",
      "legato-worker-id": "w-1",
      "legato-failed-at": "1763776800000",
    });
  });
});
