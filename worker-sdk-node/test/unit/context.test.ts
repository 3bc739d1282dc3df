import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SerializationError } from "../../src/errors.js";
import {
  MAX_HEARTBEAT_DETAILS_BYTES,
  heartbeatDetailsText,
  parseDetails,
} from "../../src/worker/context.js";

const isSerializationError = (error: unknown): boolean =>
  error instanceof SerializationError &&
  error instanceof TypeError &&
  error.name === "SerializationError";

describe("heartbeat details checks", () => {
  it("accept any JSON value and give its JSON text", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = heartbeatDetailsText(value);
        assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("reject values with no strict JSON form, with a SerializationError (a TypeError)", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const bad: unknown[] = [
      NaN,
      Infinity,
      -Infinity,
      { nested: [1, NaN] },
      1n,
      { big: 2n },
      () => 1,
      Symbol("s"),
      cycle,
      "\uD800",
      { "\uDC00": 1 },
    ];
    for (const value of bad) {
      assert.throws(() => heartbeatDetailsText(value), isSerializationError, String(value));
    }
  });

  it("reject non-finite numbers anywhere in a JSON structure (property)", () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom(NaN, Infinity, -Infinity),
        (value, poison) => {
          assert.throws(() => heartbeatDetailsText({ value, poison }), isSerializationError);
          assert.throws(() => heartbeatDetailsText([value, [poison]]), isSerializationError);
        },
      ),
    );
  });

  it("allow at most 65,536 UTF-8 bytes of JSON text, counting multi-byte characters", () => {
    // "x" * n as a JSON string is n + 2 bytes (the quotes)
    const ascii = (bytes: number): string => "x".repeat(bytes - 2);
    assert.equal(heartbeatDetailsText(ascii(MAX_HEARTBEAT_DETAILS_BYTES)).length, 65_536);
    assert.throws(
      () => heartbeatDetailsText(ascii(MAX_HEARTBEAT_DETAILS_BYTES + 1)),
      (error) => {
        assert.ok(isSerializationError(error));
        assert.match((error as Error).message, /65537 bytes .* limit of 65536 bytes/);
        return true;
      },
    );
    // "é" is 2 bytes: 32,767 of them and the quotes are 65,536 bytes, one more is over
    assert.doesNotThrow(() => heartbeatDetailsText("é".repeat(32_767)));
    assert.throws(() => heartbeatDetailsText("é".repeat(32_768)), isSerializationError);
  });

  it("size limit holds for any string (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40_000 }), (text) => {
        const bytes = Buffer.byteLength(JSON.stringify(text), "utf8");
        if (bytes <= MAX_HEARTBEAT_DETAILS_BYTES) {
          assert.equal(heartbeatDetailsText(text), JSON.stringify(text));
        } else {
          assert.throws(() => heartbeatDetailsText(text), isSerializationError);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe("lastHeartbeatDetails parsing", () => {
  it("parses JSON text, and gives null when absent or not JSON", () => {
    assert.deepEqual(parseDetails('{"done":4}'), { done: 4 });
    assert.equal(parseDetails("7"), 7);
    assert.equal(parseDetails(null), null);
    assert.equal(parseDetails(undefined), null);
    assert.equal(parseDetails("{not json"), null);
    assert.equal(parseDetails(""), null);
  });
});
