/** A job delivered twice runs once (docs/protocol.md, item 17). */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Job } from "../../src/protocol/messages.js";
import { ENDED_JOBS_MAX, ENDED_JOBS_TTL_MS, TakenJobs } from "../../src/worker/duplicates.js";
import { OffsetTracker, type Ticket } from "../../src/worker/offsets.js";
import { FakeClock } from "../support/clock.js";

function job(overrides: Partial<Job> = {}): Job {
  return {
    jobId: "j-1",
    runId: "r-1",
    stepId: "s-1",
    attempt: 2,
    action: "step1",
    payload: "{}",
    workflowId: "wf",
    workflowVersion: 1,
    queue: "workflow-jobs.step1",
    createdAt: 1,
    ...overrides,
  };
}

type Spy = Ticket & { finished: number; holding: boolean };

/** A ticket that counts its finish() calls; holding its partition until finished. */
function spy(): Spy {
  const ticket: Spy = {
    finished: 0,
    holding: true,
    finish: () => {
      ticket.finished++;
      ticket.holding = false;
    },
  };
  return ticket;
}

const positions = (tracker: OffsetTracker): string[] =>
  tracker.pendingCommits().map((p) => `${p.topic}/${p.partition}@${p.offset}`);

describe("TakenJobs", () => {
  it("does not start a copy of a job in hand: its offset is done at once", () => {
    const taken = new TakenJobs(new FakeClock());
    const first = spy();
    const copy = taken.take("j-1", first);
    assert.ok(copy !== undefined, "the first copy starts");
    const second = spy();
    assert.equal(taken.take("j-1", second), undefined, "not started");
    assert.equal(second.finished, 1, "done at once");
    assert.equal(first.finished, 0, "the copy in hand is not done");
    copy.finish();
    copy.end();
    assert.equal(first.finished, 1);
    assert.equal(second.finished, 1);
  });

  it("never commits past the copy in hand, whose offset still holds its partition", () => {
    const tracker = new OffsetTracker();
    const taken = new TakenJobs(new FakeClock());
    const copy = taken.take("j-1", tracker.track("jobs.step1", 0, 10n));
    assert.ok(copy !== undefined);
    tracker.track("jobs.step1", 0, 11n).finish(); // another job of the partition ends
    assert.equal(taken.take("j-1", tracker.track("jobs.step1", 0, 12n)), undefined);
    assert.deepEqual(positions(tracker), [], "the copy in hand still holds offset 10");
    copy.finish(); // its Result acknowledged
    assert.deepEqual(positions(tracker), ["jobs.step1/0@13"], "then past both copies");
    copy.end();
  });

  it("does not start a copy of a job that ended here: its offset is done at once", () => {
    const taken = new TakenJobs(new FakeClock());
    const copy = taken.take("j-1", spy());
    copy?.finish();
    copy?.end();
    const again = spy();
    assert.equal(taken.take("j-1", again), undefined);
    assert.equal(again.finished, 1);
    assert.equal(taken.endedCount, 1);
  });

  it("starts another jobId of the same run, step and attempt (a requeue or a retry)", () => {
    const taken = new TakenJobs(new FakeClock());
    const first = job();
    const requeued = job({ jobId: "j-2" });
    const copy = taken.take(first.jobId, spy());
    assert.ok(copy !== undefined);
    assert.ok(taken.take(requeued.jobId, spy()) !== undefined, "started while the first runs");
    copy.finish();
    copy.end();
    assert.ok(taken.take(job({ jobId: "j-3" }).jobId, spy()) !== undefined, "and after it");
  });

  it("forgets an ended job after an hour on the monotonic clock", async () => {
    const clock = new FakeClock();
    const taken = new TakenJobs(clock);
    for (const jobId of ["a", "b"]) {
      const copy = taken.take(jobId, spy());
      copy?.finish();
      copy?.end();
      await clock.advance(1_000);
    }
    clock.jumpWall(2 * ENDED_JOBS_TTL_MS); // the wall clock does not count
    await clock.advance(ENDED_JOBS_TTL_MS - 2_001);
    assert.equal(taken.take("a", spy()), undefined, "remembered for an hour");
    await clock.advance(1);
    const a = taken.take("a", spy());
    assert.ok(a !== undefined, "forgotten after the hour");
    assert.equal(taken.take("b", spy()), undefined, "ended a second later");
    a.finish();
    a.end();
    assert.equal(taken.take("a", spy()), undefined, "ended again: remembered again");
    await clock.advance(1_000); // b expires, not looked up since
    assert.equal(taken.endedCount, 2);
    const c = taken.take("c", spy());
    c?.finish();
    c?.end();
    assert.equal(taken.endedCount, 2, "b was pruned as c ended");
    assert.ok(taken.take("b", spy()) !== undefined);
  });

  it("remembers at most 10,000 ended jobs, forgetting the oldest first", () => {
    const taken = new TakenJobs(new FakeClock());
    for (let i = 0; i <= ENDED_JOBS_MAX; i++) {
      const copy = taken.take(`j${i}`, spy());
      copy?.finish();
      copy?.end();
    }
    assert.equal(ENDED_JOBS_MAX, 10_000);
    assert.equal(taken.endedCount, ENDED_JOBS_MAX);
    assert.equal(taken.take("j1", spy()), undefined, "the second oldest is remembered");
    assert.equal(taken.take(`j${ENDED_JOBS_MAX}`, spy()), undefined);
    assert.ok(taken.take("j0", spy()) !== undefined, "the oldest was forgotten");
  });

  it("forgets a copy whose outcome was not delivered (its offset not done)", () => {
    const taken = new TakenJobs(new FakeClock());
    const copy = taken.take("j-1", spy());
    copy?.end();
    assert.equal(taken.endedCount, 0);
    const redelivered = spy();
    assert.ok(taken.take("j-1", redelivered) !== undefined, "a redelivery runs");
    assert.equal(redelivered.finished, 0);
  });

  it("ends a copy once: a later end() of a forgotten copy changes nothing", () => {
    const taken = new TakenJobs(new FakeClock());
    const copy = taken.take("j-1", spy());
    copy?.end();
    const next = taken.take("j-1", spy());
    copy?.finish();
    copy?.end();
    assert.equal(taken.endedCount, 0);
    assert.equal(taken.take("j-1", spy()), undefined, "the new copy is in hand");
    next?.end();
  });

  it("holds a copy read again after a rebalance until the copy in hand is done", () => {
    const tracker = new OffsetTracker();
    const taken = new TakenJobs(new FakeClock());
    const copy = taken.take("j-1", tracker.track("jobs.step1", 0, 10n));
    assert.ok(copy !== undefined);
    tracker.reset(); // a rebalance: the partition is read again from its committed offset
    assert.equal(taken.take("j-1", tracker.track("jobs.step1", 0, 10n)), undefined);
    tracker.track("jobs.step1", 0, 11n).finish();
    assert.deepEqual(positions(tracker), [], "not committed past the job still running");
    assert.equal(taken.take("j-1", tracker.track("jobs.step1", 0, 12n)), undefined);
    assert.deepEqual(positions(tracker), [], "the copy waiting holds the partition now");
    copy.finish(); // the running copy's Result acknowledged
    assert.deepEqual(positions(tracker), ["jobs.step1/0@13"]);
    copy.end();
  });

  it("does not hold a copy read again once the offset of the copy in hand is done", () => {
    const tracker = new OffsetTracker();
    const taken = new TakenJobs(new FakeClock());
    const copy = taken.take("j-1", tracker.track("jobs.step1", 0, 10n));
    copy?.finish(); // a heartbeating attempt's STARTED acknowledged, or a Cancel read
    tracker.reset();
    assert.equal(taken.take("j-1", tracker.track("jobs.step1", 0, 10n)), undefined);
    assert.deepEqual(positions(tracker), ["jobs.step1/0@11"]);
    copy?.end();
  });
});
