import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MembershipWatch } from "../../src/worker/membership-watch.js";

describe("MembershipWatch", () => {
  it("says nothing while no commit failed, however long the silence", () => {
    const watch = new MembershipWatch(10_000);
    assert.equal(watch.lapsed(1_000_000), undefined);
  });

  it("a failed commit followed by a session timeout of silence: the membership lapsed", () => {
    const watch = new MembershipWatch(10_000);
    watch.commitFailed(1_000);
    watch.commitFailed(5_000); // counts from the first failure
    assert.equal(watch.lapsed(11_000), undefined);
    assert.equal(watch.lapsed(11_001), 10_001);
  });

  it("a heartbeat report or a join after the failed commit clears the suspicion", () => {
    const watch = new MembershipWatch(10_000);
    watch.commitFailed(1_000);
    watch.alive();
    assert.equal(watch.lapsed(60_000), undefined);
    watch.commitFailed(60_000);
    assert.equal(watch.lapsed(70_001), 10_001);
  });
});
