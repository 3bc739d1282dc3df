import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OffsetTracker } from "../../src/worker/offsets.js";

const positions = (tracker: OffsetTracker): string[] =>
  tracker.pendingCommits().map((p) => `${p.topic}/${p.partition}@${p.offset}`);

describe("OffsetTracker", () => {
  it("stores nothing while the first job is in flight", () => {
    const tracker = new OffsetTracker();
    tracker.track("t", 0, 10n);
    const second = tracker.track("t", 0, 11n);
    second.finish();
    assert.deepEqual(positions(tracker), []);
    assert.equal(tracker.inFlight(), 2, "finished out of order, so not stored yet");
  });

  it("stores in order, never past a job still in flight", () => {
    const tracker = new OffsetTracker();
    const [a, b, c, d] = [10n, 11n, 12n, 13n].map((o) => tracker.track("t", 0, o));
    c?.finish();
    a?.finish();
    assert.deepEqual(positions(tracker), ["t/0@11"]);
    b?.finish();
    assert.deepEqual(positions(tracker), ["t/0@13"]);
    d?.finish();
    assert.deepEqual(positions(tracker), ["t/0@14"]);
    assert.equal(tracker.inFlight(), 0);
  });

  it("keeps partitions independent", () => {
    const tracker = new OffsetTracker();
    tracker.track("t", 0, 5n);
    tracker.track("t", 1, 7n).finish();
    assert.deepEqual(positions(tracker), ["t/1@8"]);
  });

  it("reports only what was not committed yet", () => {
    const tracker = new OffsetTracker();
    tracker.track("t", 0, 1n).finish();
    const pending = tracker.pendingCommits();
    tracker.markCommitted(pending);
    assert.deepEqual(positions(tracker), []);
    tracker.track("t", 0, 2n).finish();
    assert.deepEqual(positions(tracker), ["t/0@3"]);
  });

  it("starts over when a partition is re-fetched from a lower offset", () => {
    const tracker = new OffsetTracker();
    const stale = tracker.track("t", 0, 20n);
    tracker.track("t", 0, 21n);
    const again = tracker.track("t", 0, 20n);
    stale.finish();
    assert.deepEqual(positions(tracker), [], "a ticket from before the re-fetch stores nothing");
    again.finish();
    assert.deepEqual(positions(tracker), ["t/0@21"]);
  });

  it("forgets everything on reset (rebalance)", () => {
    const tracker = new OffsetTracker();
    const ticket = tracker.track("t", 0, 3n);
    tracker.reset();
    ticket.finish();
    assert.deepEqual(positions(tracker), []);
    assert.equal(tracker.inFlight(), 0);
  });

  it("says whether a ticket still holds its partition's offset", () => {
    const tracker = new OffsetTracker();
    const done = tracker.track("t", 0, 1n);
    const running = tracker.track("t", 0, 2n);
    const other = tracker.track("t", 1, 1n);
    done.finish();
    assert.deepEqual([done.holding, running.holding, other.holding], [false, true, true]);
    const again = tracker.track("t", 0, 2n); // re-fetched from a lower offset
    assert.deepEqual([running.holding, again.holding, other.holding], [false, true, true]);
    tracker.reset();
    assert.deepEqual([again.holding, other.holding], [false, false]);
  });

  it("handles long runs without growing", () => {
    const tracker = new OffsetTracker();
    for (let offset = 0n; offset < 5000n; offset++) tracker.track("t", 0, offset).finish();
    assert.deepEqual(positions(tracker), ["t/0@5000"]);
  });
});
