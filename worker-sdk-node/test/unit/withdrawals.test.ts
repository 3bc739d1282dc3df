import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LogFields, Logger } from "../../src/logging.js";
import { SkipSummary } from "../../src/worker/skips.js";
import { WITHDRAWAL_TTL_MS, Withdrawals } from "../../src/worker/withdrawals.js";
import { FakeClock } from "../support/clock.js";

describe("Withdrawals", () => {
  it("keeps a withdrawn jobId for 24 h from the Cancel's time", async () => {
    const clock = new FakeClock();
    const withdrawals = new Withdrawals(clock);
    assert.equal(withdrawals.has("a"), false);
    withdrawals.add("a", clock.now());
    withdrawals.add("b", clock.now() - WITHDRAWAL_TTL_MS + 1_000);
    assert.equal(withdrawals.has("a"), true);
    assert.equal(withdrawals.has("b"), true);
    await clock.advance(1_000);
    assert.equal(withdrawals.has("b"), false, "expired");
    assert.equal(withdrawals.has("a"), true);
    await clock.advance(WITHDRAWAL_TTL_MS);
    assert.equal(withdrawals.has("a"), false);
  });

  it("ignores Cancels older than 24 h and prunes expired entries as new ones come", async () => {
    const clock = new FakeClock();
    const withdrawals = new Withdrawals(clock, 1_000);
    withdrawals.add("old", clock.now() - 1_000);
    assert.equal(withdrawals.size, 0);
    for (let i = 0; i < 10; i++) withdrawals.add(`j${i}`, clock.now());
    await clock.advance(1_000);
    withdrawals.add("new", clock.now());
    assert.equal(withdrawals.size, 1);
    assert.equal(withdrawals.has("new"), true);
  });
});

function recordingLogger(): { logger: Logger; lines: [string, string][] } {
  const lines: [string, string][] = [];
  const log =
    (level: string) =>
    (message: string, _fields?: LogFields): void => {
      lines.push([level, message]);
    };
  return {
    lines,
    logger: {
      debug: log("DEBUG"),
      info: log("INFO"),
      warning: log("WARNING"),
      error: log("ERROR"),
    },
  };
}

describe("SkipSummary", () => {
  it("logs each skip at DEBUG and a summary at INFO at most every 10 s", async () => {
    const clock = new FakeClock();
    const { logger, lines } = recordingLogger();
    const skips = new SkipSummary(logger, clock);
    skips.record("j0", "DeadlinePassed");
    const info = (): string[] => lines.filter(([level]) => level === "INFO").map(([, m]) => m);
    assert.deepEqual(info(), [
      "skipped 1 stale attempt (deadline passed: 1, withdrawn: 0, duplicate: 0)",
    ]);
    for (let i = 0; i < 230; i++) skips.record(`d${i}`, "DeadlinePassed");
    for (let i = 0; i < 10; i++) skips.record(`w${i}`, "Withdrawn");
    assert.equal(info().length, 1);
    assert.equal(lines.filter(([level]) => level === "DEBUG").length, 241);
    await clock.advance(9_999);
    assert.equal(info().length, 1);
    await clock.advance(1);
    assert.deepEqual(
      info().at(-1),
      "skipped 240 stale attempts (deadline passed: 230, withdrawn: 10, duplicate: 0)",
    );
    await clock.advance(60_000);
    assert.equal(info().length, 2, "nothing more to say");
    skips.record("late", "Withdrawn");
    assert.equal(info().length, 3, "logged at once: the last summary is over 10 s old");
    skips.flush();
    assert.equal(clock.pending, 0);
  });

  it("counts the duplicate copies not started as a third kind", async () => {
    const clock = new FakeClock();
    const { logger, lines } = recordingLogger();
    const skips = new SkipSummary(logger, clock);
    const info = (): string[] => lines.filter(([level]) => level === "INFO").map(([, m]) => m);
    skips.record("j0", "Duplicate");
    assert.deepEqual(info(), [
      "skipped 1 stale attempt (deadline passed: 0, withdrawn: 0, duplicate: 1)",
    ]);
    skips.record("j1", "Duplicate");
    skips.record("j1", "Duplicate");
    skips.record("j2", "Withdrawn");
    skips.record("j3", "DeadlinePassed");
    skips.record("j4", "Duplicate");
    assert.deepEqual(
      lines.filter(([level]) => level === "DEBUG").map(([, m]) => m),
      [
        "skipped a duplicate copy of a job",
        "skipped a duplicate copy of a job",
        "skipped a duplicate copy of a job",
        "skipped a stale attempt",
        "skipped a stale attempt",
        "skipped a duplicate copy of a job",
      ],
      "each at DEBUG",
    );
    await clock.advance(10_000);
    assert.deepEqual(
      info().at(-1),
      "skipped 5 stale attempts (deadline passed: 1, withdrawn: 1, duplicate: 3)",
    );
    skips.record("j5", "Duplicate");
    await clock.advance(10_000);
    assert.deepEqual(
      info().at(-1),
      "skipped 1 stale attempt (deadline passed: 0, withdrawn: 0, duplicate: 1)",
      "the counts start over after each summary",
    );
    assert.equal(clock.pending, 0);
  });
});
