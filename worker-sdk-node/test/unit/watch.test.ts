import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  StallWatch,
  type WatchChange,
  type WatchObservation,
  recoveryMessage,
  stallMessage,
  watchIntervalMs,
} from "../../src/worker/watch.js";

/** A monotonic clock that moves only when told. */
class ManualClock {
  ms = 1_000;
  readonly now = (): number => this.ms;
}

const TIMEOUT_MS = 30_000;
const INTERVAL_MS = 5_000;

function setup(timeoutMs = TIMEOUT_MS): { clock: ManualClock; watch: StallWatch } {
  const clock = new ManualClock();
  return { clock, watch: new StallWatch(timeoutMs, clock.now) };
}

function seen(
  behind: number,
  positions: Record<number, bigint>,
  more: Partial<WatchObservation> = {},
): WatchObservation {
  const map = new Map(Object.entries(positions).map(([p, o]) => [Number(p), o]));
  return { behind, positions: map, received: false, heldBack: false, ...more };
}

/** Checks every INTERVAL_MS with the same observation; the changes reported, in order. */
function checks(
  clock: ManualClock,
  watch: StallWatch,
  count: number,
  observation: WatchObservation,
): WatchChange[] {
  const changes: WatchChange[] = [];
  for (let i = 0; i < count; i++) {
    changes.push(watch.observe(observation));
    clock.ms += INTERVAL_MS;
  }
  return changes;
}

describe("watchIntervalMs", () => {
  it("is min(5 s, timeout / 3), and 5 s when the watch is off", () => {
    assert.equal(watchIntervalMs(30_000), 5_000);
    assert.equal(watchIntervalMs(15_000), 5_000);
    assert.equal(watchIntervalMs(9_000), 3_000);
    assert.equal(watchIntervalMs(1_000), 334);
    assert.equal(watchIntervalMs(0), 5_000);
  });
});

describe("StallWatch", () => {
  it("never stalls while positions move, however long records wait", () => {
    const { clock, watch } = setup();
    for (let i = 0n; i < 30n; i++) {
      assert.equal(watch.observe(seen(100, { 0: 10n + i, 1: 5n })), "none");
      clock.ms += INTERVAL_MS;
    }
    assert.equal(watch.stalled, false);
  });

  it("never stalls while records are received, even if positions look unchanged", () => {
    const { clock, watch } = setup();
    const changes = checks(clock, watch, 30, seen(100, { 0: 10n }, { received: true }));
    assert.ok(changes.every((change) => change === "none"));
  });

  it("never stalls while every slot is busy (records held back on purpose)", () => {
    const { clock, watch } = setup();
    const changes = checks(clock, watch, 30, seen(100, { 0: 10n }, { heldBack: true }));
    assert.ok(changes.every((change) => change === "none"));
    assert.equal(watch.stalled, false);
  });

  it("never stalls with nothing behind", () => {
    const { clock, watch } = setup();
    const changes = checks(clock, watch, 30, seen(0, { 0: 10n }));
    assert.ok(changes.every((change) => change === "none"));
  });

  it("stalls once the timeout passed without progress, exactly once", () => {
    const { clock, watch } = setup();
    const stuck = seen(7, { 0: 10n, 3: 4n });
    // First check at t0 (since = t0), then every 5 s: t0 + 30 s is the 7th check.
    const changes = checks(clock, watch, 12, stuck);
    assert.deepEqual(changes.slice(0, 6), Array(6).fill("none"));
    assert.equal(changes[6], "stalled");
    assert.deepEqual(changes.slice(7), Array(5).fill("none"));
    assert.equal(watch.stalled, true);
    assert.equal(changes.filter((change) => change === "stalled").length, 1);
  });

  it("counts the stall from the check before the first one without progress", () => {
    const { clock, watch } = setup();
    assert.equal(watch.observe(seen(3, { 0: 10n }, { received: true })), "none");
    clock.ms += INTERVAL_MS; // this check sees no progress: since = the previous check
    const changes = checks(clock, watch, 6, seen(3, { 0: 10n }));
    assert.deepEqual(changes, ["none", "none", "none", "none", "none", "stalled"]);
    assert.equal(watch.stallSeconds(), 30);
  });

  it("recovers once, on progress, saying how long it was stuck", () => {
    const { clock, watch } = setup();
    checks(clock, watch, 7, seen(7, { 0: 10n }));
    assert.equal(watch.stalled, true);
    clock.ms += 2_500;
    assert.equal(watch.observe(seen(6, { 0: 11n })), "recovered");
    assert.equal(watch.stalled, false);
    assert.equal(watch.stallSeconds(), 37);
    clock.ms += INTERVAL_MS;
    assert.equal(watch.observe(seen(6, { 0: 12n })), "none");
  });

  it("recovers when the backlog is gone or the slots fill up", () => {
    for (const after of [seen(0, { 0: 10n }), seen(7, { 0: 10n }, { heldBack: true })]) {
      const { clock, watch } = setup();
      checks(clock, watch, 7, seen(7, { 0: 10n }));
      assert.equal(watch.observe(after), "recovered");
    }
  });

  it("stalls again after a recovery only after a full timeout", () => {
    const { clock, watch } = setup();
    checks(clock, watch, 7, seen(7, { 0: 10n }));
    assert.equal(watch.observe(seen(7, { 0: 11n })), "recovered");
    clock.ms += INTERVAL_MS;
    // The recovery check is the last one with progress: 30 s after it is the 6th check.
    const changes = checks(clock, watch, 7, seen(7, { 0: 11n }));
    assert.deepEqual(changes, ["none", "none", "none", "none", "none", "stalled", "none"]);
  });

  it("starts over after a rebalance: the time before it does not count", () => {
    const { clock, watch } = setup();
    checks(clock, watch, 6, seen(7, { 0: 10n })); // 25 s without progress
    watch.reset();
    // New partitions: the first check after the reset is the start.
    const changes = checks(clock, watch, 7, seen(7, { 2: 50n }));
    assert.deepEqual(changes.slice(0, 6), Array(6).fill("none"));
    assert.equal(changes[6], "stalled");
  });

  it("does not count positions seen before a rebalance as progress or as no progress", () => {
    const { clock, watch } = setup();
    checks(clock, watch, 3, seen(7, { 0: 10n }));
    watch.reset();
    // The same partition at another position after the reset is not compared with before.
    assert.equal(watch.observe(seen(7, { 0: 3n })), "none");
    clock.ms += TIMEOUT_MS;
    assert.equal(watch.observe(seen(7, { 0: 3n })), "stalled");
  });

  it("keeps a stall through a rebalance and recovers on progress after it", () => {
    const { clock, watch } = setup();
    checks(clock, watch, 7, seen(7, { 0: 10n }));
    watch.reset();
    assert.equal(watch.observe(seen(7, { 0: 10n })), "none");
    assert.equal(watch.stalled, true);
    clock.ms += INTERVAL_MS;
    assert.equal(watch.observe(seen(7, { 0: 10n }, { received: true })), "recovered");
  });

  it("never stalls with a timeout of 0", () => {
    const { clock, watch } = setup(0);
    const changes = checks(clock, watch, 100, seen(1_000, { 0: 10n }));
    assert.ok(changes.every((change) => change === "none"));
    assert.equal(watch.stalled, false);
  });

  it("rejects a negative timeout", () => {
    assert.throws(() => new StallWatch(-1), RangeError);
  });
});

describe("watch log lines", () => {
  it("are the texts every SDK writes", () => {
    assert.equal(
      stallMessage("slow", 12, ["workflow-jobs.slow-0", "workflow-jobs.slow-4"], 30),
      "action 'slow': 12 record(s) wait in assigned partition(s) workflow-jobs.slow-0, " +
        "workflow-jobs.slow-4 but none was fetched for 30 s; the consumer is not making progress",
    );
    assert.equal(recoveryMessage("slow", 42), "action 'slow': fetching again after 42 s");
  });
});
