import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { murmur2 as clientMurmur2 } from "@platformatic/kafka";
import fc from "fast-check";
import { javaPartitioner, murmur2, partitionForKey } from "../../src/worker/murmur2.js";

/**
 * Reference values computed with the Java client (kafka-clients 3.9.1:
 * org.apache.kafka.common.utils.Utils.murmur2 and toPositive(h) % 6) on the UTF-8 bytes.
 */
const JAVA: [key: string, hash: number, partitionOf6: number][] = [
  ["", 275646681, 3],
  ["a", -1563381124, 4],
  ["ab", 316155434, 2],
  ["abc", 479470107, 3],
  ["abcd", -1323649548, 2],
  ["abcde", 461995741, 1],
  ["hello", 2132663229, 3],
  ["21", -973932308, 0],
  ["run-1", 637533037, 1],
  ["wörld", 2016028232, 2],
  ["0123456789abcdef", 1438427052, 0],
  ["\u00ff\u0080", 321056892, 0],
  ["550e8400-e29b-41d4-a716-446655440000", 2143099391, 5],
  ["f47ac10b-58cc-4372-a567-0e02b2c3d479", 1964707646, 2],
  ["legato", 2014972864, 4],
];

describe("murmur2 (Java-compatible)", () => {
  for (const [key, hash, partition] of JAVA) {
    it(`matches the Java client for ${JSON.stringify(key)}`, () => {
      const bytes = Buffer.from(key, "utf8");
      assert.equal(murmur2(bytes), hash);
      assert.equal(partitionForKey(bytes, 6), partition);
    });
  }

  it("matches the Java client for the bytes 0..255", () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.equal(murmur2(bytes), -1948347274);
  });

  it("agrees with the Kafka client's own port on any bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        return murmur2(bytes) === clientMurmur2(Buffer.from(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("always picks a partition in range (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (b, n) => {
        const p = partitionForKey(b, n);
        return Number.isInteger(p) && p >= 0 && p < n;
      }),
    );
  });

  it("the producer partitioner returns the non-negative hash for keyed records", () => {
    const partitioner = javaPartitioner();
    const key = Buffer.from("run-1");
    assert.equal(partitioner({}, key) % 6, 1);
    assert.ok(partitioner({}, undefined) >= 0);
  });
});
