import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LogFields, Logger } from "../../src/logging.js";
import { NO_METRICS, type WorkerMetrics } from "../../src/observability/metrics.js";
import { ConsumerWatch, type WatchedSession } from "../../src/worker/consumer-watch.js";
import type { Holding } from "../../src/worker/group-session.js";
import { Limiter } from "../../src/worker/limiter.js";

const TOPIC = "workflow-jobs.slow";

/** A session whose holding and latest offsets the test sets. */
class FakeSession implements WatchedSession {
  epoch = 1;
  next = new Map<number, bigint | undefined>();
  received = 0;
  ends = new Map<number, bigint>();
  failure: Error | undefined;
  queries = 0;

  holding(): Holding | undefined {
    return { epoch: this.epoch, next: new Map(this.next), received: this.received };
  }

  endOffsets(partitions: readonly number[]): Promise<Map<number, bigint>> {
    this.queries++;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return Promise.resolve(new Map(partitions.map((p) => [p, this.ends.get(p) ?? 0n])));
  }
}

interface Line {
  level: string;
  message: string;
  fields: LogFields | undefined;
}

function recorder(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    logger: { debug: at("DEBUG"), info: at("INFO"), warning: at("WARNING"), error: at("ERROR") },
  };
}

function metricsRecorder(): { metrics: WorkerMetrics; behind: number[]; stalled: boolean[] } {
  const behind: number[] = [];
  const stalled: boolean[] = [];
  return {
    behind,
    stalled,
    metrics: {
      ...NO_METRICS,
      recordsBehind: (action, records) => {
        assert.equal(action, "slow");
        behind.push(records);
      },
      stalled: (action, now) => {
        assert.equal(action, "slow");
        stalled.push(now);
      },
    },
  };
}

function setup(stallTimeoutMs = 30_000, slots = 2) {
  const time = { ms: 0 };
  const session = new FakeSession();
  const current: { session: FakeSession | undefined } = { session };
  const limiter = new Limiter(slots);
  const { logger, lines } = recorder();
  const recorded = metricsRecorder();
  const watch = new ConsumerWatch({
    action: "slow",
    topic: TOPIC,
    stallTimeoutMs,
    limiter,
    metrics: recorded.metrics,
    logger,
    session: () => current.session,
    clock: () => time.ms,
  });
  /** One check, then the clock moves one interval. */
  const tick = async (): Promise<void> => {
    await watch.check();
    time.ms += watch.intervalMs;
  };
  return { time, session, current, limiter, lines, watch, tick, ...recorded };
}

describe("ConsumerWatch", () => {
  it("checks every min(5 s, timeout / 3)", () => {
    assert.equal(setup(30_000).watch.intervalMs, 5_000);
    assert.equal(setup(6_000).watch.intervalMs, 2_000);
    assert.equal(setup(0).watch.intervalMs, 5_000);
  });

  it("reports the records behind over the held partitions whose position is known", async () => {
    const { session, tick, behind } = setup();
    session.next = new Map([
      [0, 10n],
      [1, 7n],
      [2, undefined],
      [3, 4n],
    ]);
    session.ends = new Map([
      [0, 15n],
      [1, 7n],
      [2, 100n],
      [3, 3n],
    ]);
    await tick();
    assert.deepEqual(behind, [5]);
  });

  it("reports 0 behind when nothing is held, without asking the broker", async () => {
    const { session, current, tick, behind } = setup();
    await tick();
    current.session = undefined;
    await tick();
    assert.deepEqual(behind, [0, 0]);
    assert.equal(session.queries, 0);
  });

  it("warns once and counts one stall when nothing is fetched for the timeout", async () => {
    const { session, tick, lines, stalled, behind } = setup();
    session.next = new Map([
      [4, 20n],
      [1, 10n],
      [2, 30n],
    ]);
    session.ends = new Map([
      [4, 23n],
      [1, 12n],
      [2, 30n],
    ]);
    for (let i = 0; i < 10; i++) await tick();
    const warnings = lines.filter((line) => line.level === "WARNING");
    assert.deepEqual(
      warnings.map((line) => line.message),
      [
        `action 'slow': 5 record(s) wait in assigned partition(s) ${TOPIC}-1, ${TOPIC}-4 ` +
          "but none was fetched for 30 s; the consumer is not making progress",
      ],
    );
    assert.deepEqual(stalled, [true]);
    assert.ok(behind.every((value) => value === 5));

    session.received = 1; // a record came through
    session.next.set(1, 11n);
    await tick();
    const infos = lines.filter((line) => line.level === "INFO").map((line) => line.message);
    assert.deepEqual(infos, ["action 'slow': fetching again after 50 s"]);
    assert.deepEqual(stalled, [true, false]);
  });

  it("does not stall while every slot is busy", async () => {
    const { session, limiter, tick, lines, stalled } = setup(30_000, 2);
    await limiter.acquire();
    await limiter.acquire();
    session.next = new Map([[0, 0n]]);
    session.ends = new Map([[0, 50n]]);
    for (let i = 0; i < 20; i++) await tick();
    assert.equal(lines.length, 0);
    assert.deepEqual(stalled, []);
  });

  it("starts over on a new generation or a new session", async () => {
    const { session, current, tick, stalled } = setup();
    session.next = new Map([[0, 0n]]);
    session.ends = new Map([[0, 50n]]);
    for (let i = 0; i < 6; i++) await tick(); // 25 s without progress
    session.epoch = 2; // a rebalance
    for (let i = 0; i < 6; i++) await tick();
    assert.deepEqual(stalled, []);
    const replacement = new FakeSession();
    replacement.next = session.next;
    replacement.ends = session.ends;
    current.session = replacement; // reconnected
    for (let i = 0; i < 6; i++) await tick();
    assert.deepEqual(stalled, []);
    await tick();
    assert.deepEqual(stalled, [true]);
  });

  it("skips a check whose query failed: DEBUG only, nothing changed", async () => {
    const { session, tick, lines, behind } = setup();
    session.next = new Map([[0, 0n]]);
    session.failure = new Error("broker gone");
    await tick();
    assert.deepEqual(behind, []);
    assert.deepEqual(
      lines.map((line) => [line.level, line.message]),
      [["DEBUG", "consumer watch: listing the latest offsets failed; check skipped"]],
    );
    assert.equal((line(lines).fields?.["error"] as Error).message, "broker gone");
  });

  it("with a timeout of 0 keeps the records behind and never stalls", async () => {
    const { session, tick, lines, stalled, behind } = setup(0);
    session.next = new Map([[0, 0n]]);
    session.ends = new Map([[0, 9n]]);
    for (let i = 0; i < 50; i++) await tick();
    assert.equal(lines.length, 0);
    assert.deepEqual(stalled, []);
    assert.equal(behind.length, 50);
    assert.ok(behind.every((value) => value === 9));
  });
});

function line(lines: Line[]): Line {
  const first = lines[0];
  assert.ok(first !== undefined);
  return first;
}
