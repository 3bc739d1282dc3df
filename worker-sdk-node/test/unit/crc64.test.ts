import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CRC64_EMPTY, crc64Avro, crc64AvroBytes } from "../../src/protocol/crc64.js";

const signed = (value: bigint): bigint => BigInt.asIntN(64, value);

describe("CRC-64-AVRO", () => {
  it("of the empty input is the seed", () => {
    assert.equal(crc64Avro(""), CRC64_EMPTY);
  });

  // Values from the Avro specification's test suite (SchemaNormalization.parsingFingerprint64).
  for (const [schema, expected] of [
    ['"null"', 7195948357588979594n],
    ['"int"', 8247732601305521295n],
    ['"string"', -8142146995180207161n],
  ] as const) {
    it(`of ${schema} is ${expected}`, () => {
      assert.equal(signed(crc64Avro(schema)), expected);
    });
  }

  // Little-endian bytes as written after C3 01 (cross-checked with fastavro).
  for (const [input, hex] of [
    ["", "95a7d7a43a215dc1"],
    ['{"type":"fixed","name":"foo","size":15}', "80d5d95feb03a3c1"],
    ["The quick brown fox", "db9a17ed864f0d5c"],
  ] as const) {
    it(`writes ${JSON.stringify(input)} as ${hex}`, () => {
      assert.equal(crc64AvroBytes(input).toString("hex"), hex);
    });
  }

  it("hashes bytes and their UTF-8 string alike", () => {
    const text = "Zoë 東京 🎵";
    assert.equal(crc64Avro(Buffer.from(text, "utf8")), crc64Avro(text));
  });
});
