import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeResult } from "../../src/protocol/codec.js";
import type { Result } from "../../src/protocol/messages.js";
import {
  MAX_DETAILS_BYTES,
  MAX_MESSAGE_CHARS,
  MAX_STACK_CHARS,
  TRUNCATED,
  capDetails,
  capFailure,
  checked,
  seal,
  truncate,
} from "../../src/worker/envelope.js";

function result(overrides: Partial<Result> = {}): Result {
  return {
    jobId: "j",
    runId: "r",
    stepId: "s",
    attempt: 1,
    action: "a",
    status: "COMPLETED",
    output: '"ok"',
    failure: null,
    workerId: "w",
    sdk: "node/0",
    traceparent: null,
    correlationId: null,
    startedAt: 1,
    finishedAt: 2,
    ...overrides,
  };
}

const codePoints = (text: string): number => Array.from(text).length;

describe("truncate", () => {
  it("keeps text within the limit and cuts longer text to exactly the limit", () => {
    assert.equal(truncate("abc", 3), "abc");
    const cut = truncate("x".repeat(5000), MAX_MESSAGE_CHARS);
    assert.equal(cut.length, MAX_MESSAGE_CHARS);
    assert.ok(cut.endsWith(TRUNCATED));
  });

  it("counts code points and never splits a surrogate pair", () => {
    const emoji = "😀".repeat(20);
    assert.equal(truncate(emoji, 20), emoji);
    const cut = truncate(emoji, 16);
    assert.equal(cut, "😀".repeat(2) + TRUNCATED);
  });

  it("is at most the limit, and a prefix + suffix, for any text (property)", () => {
    fc.assert(
      fc.property(
        fc.fullUnicodeString({ maxLength: 300 }),
        fc.integer({ min: 14, max: 200 }),
        (text, limit) => {
          const cut = truncate(text, limit);
          if (codePoints(text) <= limit) return cut === text;
          const head = cut.slice(0, cut.length - TRUNCATED.length);
          return codePoints(cut) === limit && cut.endsWith(TRUNCATED) && text.startsWith(head);
        },
      ),
    );
  });
});

describe("failure caps", () => {
  it("caps message, stack trace and details", () => {
    const capped = capFailure({
      type: "T",
      message: "m".repeat(10_000),
      nonRetryable: false,
      details: JSON.stringify({ blob: "d".repeat(70_000) }),
      stackTrace: "s".repeat(20_000),
    });
    assert.equal(capped.message.length, MAX_MESSAGE_CHARS);
    assert.equal(capped.stackTrace?.length, MAX_STACK_CHARS);
    assert.deepEqual(JSON.parse(capped.details ?? ""), { truncated: true, bytes: 70_011 });
  });

  it("keeps details up to 65536 UTF-8 bytes, replaces larger ones with their size (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 60_000, max: 70_000 }),
        (extra, n) => {
          const details = JSON.stringify("é".repeat(extra) + "x".repeat(n));
          const bytes = Buffer.byteLength(details);
          const capped = capDetails(details);
          return bytes <= MAX_DETAILS_BYTES
            ? capped === details
            : capped === `{"truncated":true,"bytes":${bytes}}`;
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("checked / seal", () => {
  it("turns an output over the limit into FAILED ResultTooLarge naming size and limit", () => {
    const big = result({ output: JSON.stringify("x".repeat(100)) });
    const out = checked(big, 50);
    assert.equal(out.status, "FAILED");
    assert.equal(out.output, null);
    assert.equal(out.failure?.type, "ResultTooLarge");
    assert.equal(out.failure?.nonRetryable, true);
    assert.match(out.failure?.message ?? "", /102 bytes.*limit of 50 bytes/);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const output = JSON.stringify("é".repeat(30)); // 62 bytes, 32 characters
    assert.equal(checked(result({ output }), 62).status, "COMPLETED");
    assert.equal(checked(result({ output }), 61).failure?.type, "ResultTooLarge");
  });

  it("encodes a decodable result", () => {
    const decoded = decodeResult(seal(result(), 1000));
    assert.equal(decoded.output, '"ok"');
  });
});
