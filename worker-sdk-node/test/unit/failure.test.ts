import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApplicationError, NonRetryableError } from "../../src/errors.js";
import { failureFrom, serializeOutput } from "../../src/worker/failure.js";

describe("failure envelope", () => {
  it("uses err.name for a plain Error", () => {
    const failure = failureFrom(new Error("plain failure"));
    assert.equal(failure.type, "Error");
    assert.equal(failure.message, "plain failure");
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.details, null);
    assert.match(failure.stackTrace ?? "", /plain failure\n\s+at /);
  });

  it("uses the subclass name of built-in errors", () => {
    assert.equal(failureFrom(new TypeError("x")).type, "TypeError");
    class TimeoutError extends Error {
      override name = "TimeoutError";
    }
    assert.equal(failureFrom(new TimeoutError("late")).type, "TimeoutError");
  });

  it("uses the type given to ApplicationError, with JSON details", () => {
    const error = new ApplicationError("boom", {
      type: "ConformanceError",
      details: { payload: { a: [1, "é"] } },
    });
    const failure = failureFrom(error);
    assert.equal(failure.type, "ConformanceError");
    assert.equal(failure.message, "boom");
    assert.equal(failure.nonRetryable, false);
    assert.deepEqual(JSON.parse(failure.details ?? ""), { payload: { a: [1, "é"] } });
  });

  it("falls back to the class name of an ApplicationError without a type", () => {
    assert.equal(failureFrom(new ApplicationError("x")).type, "ApplicationError");
    class PaymentFailed extends ApplicationError {}
    assert.equal(failureFrom(new PaymentFailed("x")).type, "PaymentFailed");
    assert.equal(failureFrom(new NonRetryableError("x")).type, "NonRetryableError");
  });

  it("marks NonRetryableError and the nonRetryable flag", () => {
    const declined = failureFrom(
      new NonRetryableError("declined", { type: "CardDeclined", details: { code: "51" } }),
    );
    assert.equal(declined.type, "CardDeclined");
    assert.equal(declined.nonRetryable, true);
    assert.equal(declined.details, '{"code":"51"}');
    assert.equal(failureFrom(new ApplicationError("x", { nonRetryable: true })).nonRetryable, true);
  });

  it("describes a thrown non-Error value", () => {
    const failure = failureFrom("just a string");
    assert.equal(failure.type, "Error");
    assert.equal(failure.message, "just a string");
    assert.equal(failure.stackTrace, null);
  });

  it("keeps details that have no JSON form as a JSON string", () => {
    const details = { self: {} as Record<string, unknown> };
    details.self.loop = details;
    const failure = failureFrom(new ApplicationError("x", { details }));
    assert.equal(typeof JSON.parse(failure.details ?? "null"), "string");
  });
});

describe("serializeOutput", () => {
  it("writes JSON text", () => {
    assert.equal(serializeOutput({ echo: "hi", n: [1, 2] }), '{"echo":"hi","n":[1,2]}');
    assert.equal(serializeOutput("Processed: x"), '"Processed: x"');
    assert.equal(serializeOutput(null), "null");
  });

  it("turns undefined into null", () => {
    assert.equal(serializeOutput(undefined), "null");
  });

  it("throws SerializationError for values without JSON form", () => {
    for (const value of [10n, () => 1, Symbol("s")]) {
      assert.throws(() => serializeOutput(value), { name: "SerializationError" });
    }
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => serializeOutput(cycle), { name: "SerializationError" });
  });
});
