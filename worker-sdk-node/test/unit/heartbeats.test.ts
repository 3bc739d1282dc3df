import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  LAZY_START_MS,
  ProgressReporter,
  type ReportedKind,
  heartbeatInterval,
} from "../../src/worker/heartbeats.js";
import { FakeClock, settle } from "../support/clock.js";

interface Sent {
  kind: ReportedKind;
  details: string | null;
  at: number;
  /** The details last given when the record was sent (for the property test). */
  latest?: string | null;
}

/** A reporter whose records are acknowledged at once (or when `ack()` is called, if `manual`). */
function harness(interval: number, manual = false, latest?: () => string | null, ackDelay = 0) {
  const clock = new FakeClock();
  const start = clock.now();
  const sent: Sent[] = [];
  const acks: (() => void)[] = [];
  let startedAcked = 0;
  const reporter = new ProgressReporter(
    interval,
    (kind, details) => {
      const record: Sent = { kind, details, at: clock.now() - start };
      if (latest !== undefined) record.latest = latest();
      sent.push(record);
      if (manual) return new Promise<void>((resolve) => acks.push(resolve));
      if (ackDelay > 0) return new Promise<void>((resolve) => clock.setTimeout(resolve, ackDelay));
      return Promise.resolve();
    },
    clock,
    () => startedAcked++,
  );
  return {
    clock,
    sent,
    reporter,
    startedAcked: () => startedAcked,
    ack: async () => {
      acks.shift()?.();
      await settle();
    },
  };
}

const done = (i: number): string => JSON.stringify({ done: i });

describe("heartbeatInterval", () => {
  it("is a third of the heartbeat timeout, at least 100 ms, else 10 s", () => {
    assert.equal(heartbeatInterval(1500), 500);
    assert.equal(heartbeatInterval(30_000), 10_000);
    assert.equal(heartbeatInterval(200), 100);
    assert.equal(heartbeatInterval(0), 100);
    assert.equal(heartbeatInterval(null), 10_000);
    assert.equal(heartbeatInterval(undefined), 10_000);
  });
});

describe("ProgressReporter", () => {
  it("sends STARTED at once when eager, then the first heartbeat at once, then coalesces", async () => {
    const h = harness(500);
    h.reporter.begin(true);
    await settle();
    assert.deepEqual(h.sent, [{ kind: "STARTED", details: null, at: 0 }]);
    assert.equal(h.startedAcked(), 1);
    for (let i = 1; i <= 8; i++) {
      await h.clock.advance(150);
      h.reporter.beat(done(i));
    }
    await settle();
    h.reporter.end(false);
    assert.deepEqual(h.sent, [
      { kind: "STARTED", details: null, at: 0 },
      { kind: "HEARTBEAT", details: done(1), at: 150 },
      { kind: "HEARTBEAT", details: done(4), at: 650 },
      { kind: "HEARTBEAT", details: done(7), at: 1150 },
    ]);
    assert.equal(h.clock.pending, 0, "no timer left after end()");
  });

  it("reports a lazy start after 1 s of running, without details", async () => {
    const h = harness(10_000);
    h.reporter.begin(false);
    await h.clock.advance(LAZY_START_MS - 1);
    assert.deepEqual(h.sent, []);
    await h.clock.advance(1);
    assert.deepEqual(h.sent, [{ kind: "STARTED", details: null, at: LAZY_START_MS }]);
    await h.clock.advance(60_000);
    h.reporter.end(false);
    assert.equal(h.sent.length, 1, "no heartbeat without heartbeat() calls");
  });

  it("sends nothing for a handler that ends within 1 s", async () => {
    const h = harness(10_000);
    h.reporter.begin(false);
    await h.clock.advance(999);
    h.reporter.end(false);
    await h.clock.advance(5_000);
    assert.deepEqual(h.sent, []);
    assert.equal(h.clock.pending, 0);
  });

  it("lets the first heartbeat() send STARTED, carrying its details", async () => {
    const h = harness(10_000);
    h.reporter.begin(false);
    await h.clock.advance(100);
    h.reporter.beat(done(1));
    await h.clock.advance(100);
    h.reporter.beat(done(2));
    await h.clock.advance(5_000);
    assert.deepEqual(h.sent, [{ kind: "STARTED", details: done(1), at: 100 }]);
    await h.clock.advance(5_000);
    assert.deepEqual(h.sent.at(-1), { kind: "HEARTBEAT", details: done(2), at: 10_100 });
  });

  it("sends the pending details first when the handler fails, drops them when it succeeds", async () => {
    for (const failed of [true, false]) {
      const h = harness(10_000);
      h.reporter.begin(false);
      for (let i = 1; i <= 4; i++) {
        await h.clock.advance(100);
        h.reporter.beat(done(i));
      }
      h.reporter.end(failed);
      await h.clock.advance(20_000);
      const expected: Sent[] = [{ kind: "STARTED", details: done(1), at: 100 }];
      if (failed) expected.push({ kind: "HEARTBEAT", details: done(4), at: 400 });
      assert.deepEqual(h.sent, expected, `failed=${failed}`);
    }
  });

  it("keeps the latest details when heartbeat() is called without any", async () => {
    const h = harness(100);
    h.reporter.begin(true);
    await settle();
    h.reporter.beat(done(1));
    await h.clock.advance(100);
    h.reporter.beat(undefined);
    await h.clock.advance(100);
    assert.deepEqual(
      h.sent.map((s) => s.details),
      [null, done(1), done(1)],
    );
  });

  it("never has two records in flight: a due heartbeat waits for the acknowledgement", async () => {
    const h = harness(100, true);
    h.reporter.begin(true);
    h.reporter.beat(done(1));
    await h.clock.advance(1_000);
    assert.equal(h.sent.length, 1, "STARTED not acknowledged yet");
    assert.equal(h.startedAcked(), 0);
    h.reporter.beat(done(2));
    await h.ack();
    assert.equal(h.startedAcked(), 1);
    assert.deepEqual(h.sent.at(-1), { kind: "HEARTBEAT", details: done(2), at: 1_000 });
    await h.ack();
    h.reporter.end(false);
  });

  it("after end(), heartbeat() sends nothing", async () => {
    const h = harness(100);
    h.reporter.begin(true);
    h.reporter.end(true);
    h.reporter.beat(done(9));
    await h.clock.advance(1_000);
    assert.deepEqual(
      h.sent.map((s) => s.kind),
      ["STARTED"],
    );
  });

  it("property: coalesced, latest details, nothing lost, nothing after the end", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: 2_000 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.boolean(),
        async (interval, eager, gaps, tail, failed) => {
          let given: string | null = null;
          const h = harness(interval, false, () => given);
          h.reporter.begin(eager);
          await settle();
          const beats: { at: number; i: number }[] = [];
          let now = 0;
          for (const [index, gap] of gaps.entries()) {
            await h.clock.advance(gap);
            now += gap;
            given = done(index + 1);
            h.reporter.beat(given);
            beats.push({ at: now, i: index + 1 });
            await settle();
          }
          await h.clock.advance(tail);
          const end = now + tail;
          h.reporter.end(failed);
          await h.clock.advance(100_000);
          assert.equal(h.clock.pending, 0);

          const { sent } = h;
          const startedCount = sent.filter((s) => s.kind === "STARTED").length;
          if (sent.length > 0) assert.equal(sent[0]?.kind, "STARTED");
          assert.ok(startedCount <= 1);
          if (eager)
            assert.deepEqual(sent[0], { kind: "STARTED", details: null, at: 0, latest: null });
          if (!eager && beats.length === 0) {
            assert.equal(startedCount, end >= LAZY_START_MS ? 1 : 0);
          }
          const flushed = failed && sent.at(-1)?.at === end && sent.length > 1;
          for (const [k, record] of sent.entries()) {
            assert.ok(record.at <= end, "nothing is sent after the handler ended");
            assert.equal(record.details, record.latest, "always the latest details");
            if (k === 0) continue;
            const previous = sent[k - 1] as Sent;
            const firstHeartbeat =
              record.kind === "HEARTBEAT" && !sent.slice(0, k).some((s) => s.details !== null);
            const isFlush = flushed && k === sent.length - 1;
            if (!firstHeartbeat && !isFlush) {
              assert.ok(
                record.at - previous.at >= interval,
                `records ${previous.at} and ${record.at} closer than ${interval} ms`,
              );
            }
          }
          // Nothing lost: a heartbeat is sent within one interval, unless the handler ended first.
          for (const beat of beats) {
            if (beat.at + interval > end) continue;
            const covered = sent.some(
              (s) =>
                s.at >= beat.at &&
                s.at <= beat.at + interval &&
                s.details !== null &&
                (JSON.parse(s.details) as { done: number }).done >= beat.i,
            );
            assert.ok(covered, `heartbeat ${beat.i} at ${beat.at} was not sent in time`);
          }
          // A failure sends the last details given; a success never sends after its last interval.
          if (failed && beats.length > 0) {
            assert.equal(sent.at(-1)?.details, done(beats.length));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("property: slow acknowledgements hold records back but neither stretch the rhythm nor add records", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: 1_000 }),
        fc.integer({ min: 1, max: 1_500 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 10, max: 400 }),
        async (interval, ackDelay, beats, every) => {
          let given: string | null = null;
          const h = harness(interval, false, () => given, ackDelay);
          h.reporter.begin(true);
          for (let i = 1; i <= beats; i++) {
            await h.clock.advance(every);
            given = done(i);
            h.reporter.beat(given);
          }
          const end = beats * every;
          h.reporter.end(false);
          await h.clock.advance(100_000);
          const { sent } = h;
          const heartbeats = sent.filter((s) => s.kind === "HEARTBEAT");
          // one at once, then at most one per interval on average
          assert.ok(
            heartbeats.length <= 2 + Math.floor(end / interval),
            `${heartbeats.length} records`,
          );
          for (const [k, record] of sent.entries()) {
            assert.equal(record.details, record.latest);
            if (k > 0) assert.ok(record.at - (sent[k - 1] as Sent).at >= ackDelay, "one in flight");
          }
          // a heartbeat given is sent within an interval plus one acknowledgement, unless it ended
          for (let i = 1; i <= beats; i++) {
            const at = i * every;
            if (at + interval + ackDelay > end) continue;
            assert.ok(
              sent.some(
                (s) =>
                  s.at <= at + interval + ackDelay &&
                  s.details !== null &&
                  (JSON.parse(s.details) as { done: number }).done >= i,
              ),
              `heartbeat ${i} at ${at} not sent in time`,
            );
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
