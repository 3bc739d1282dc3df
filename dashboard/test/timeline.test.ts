import { describe, expect, it } from "vitest";
import type { Attempt } from "../src/api/types";
import { attemptSpans, buildTimeline, niceStep } from "../src/lib/timeline";

const T = (s: number) => new Date(Date.UTC(2026, 0, 5, 10, 0, 0) + s * 1000).toISOString();

function attempt(over: Partial<Attempt>): Attempt {
  return {
    jobId: "j1",
    stepId: "charge",
    item: null,
    attempt: 1,
    state: "COMPLETED",
    createdAt: T(0),
    dispatchedAt: T(0),
    startedAt: T(1),
    finishedAt: T(3),
    workerId: "w",
    deadlineKind: null,
    requeues: 0,
    action: "charge-card",
    generation: 1,
    ...over,
  };
}

describe("attempt phases", () => {
  it("a finished attempt: queued then running", () => {
    const spans = attemptSpans(attempt({}));
    expect(spans.map((s) => [s.phase, s.start, s.end])).toEqual([
      ["queued", Date.parse(T(0)), Date.parse(T(1))],
      ["running", Date.parse(T(1)), Date.parse(T(3))],
    ]);
  });

  it("a retry waits (pending) from its creation until dispatch", () => {
    const spans = attemptSpans(
      attempt({ attempt: 2, createdAt: T(3), dispatchedAt: T(5), startedAt: T(6), finishedAt: T(7) }),
    );
    expect(spans.map((s) => s.phase)).toEqual(["pending", "queued", "running"]);
    expect(spans[0]?.end).toBe(Date.parse(T(5)));
  });

  it("an open attempt has no end (it runs until now)", () => {
    const spans = attemptSpans(attempt({ state: "DISPATCHED", startedAt: null, finishedAt: null }));
    expect(spans).toHaveLength(1);
    expect(spans[0]?.phase).toBe("queued");
    expect(spans[0]?.end).toBeNull();
  });

  it("a pending attempt not yet dispatched is pending until now", () => {
    const spans = attemptSpans(
      attempt({ state: "PENDING", dispatchedAt: null, startedAt: null, finishedAt: null }),
    );
    expect(spans.map((s) => [s.phase, s.end])).toEqual([["pending", null]]);
  });
});

describe("timeline geometry", () => {
  const attempts = [
    attempt({ jobId: "a1", state: "FAILED", startedAt: T(1), finishedAt: T(2) }),
    attempt({
      jobId: "a2",
      attempt: 2,
      createdAt: T(2),
      dispatchedAt: T(4),
      startedAt: T(4),
      finishedAt: T(10),
    }),
    attempt({
      jobId: "m0",
      stepId: "map",
      item: 0,
      createdAt: T(10),
      dispatchedAt: T(10),
      startedAt: T(10),
      finishedAt: T(10),
    }),
  ];

  it("scales the run's span onto the width, one lane per step or map item", () => {
    const t = buildTimeline(attempts, [], T(0), { width: 1000, now: Date.parse(T(20)) });
    expect(t.t0).toBe(Date.parse(T(0)));
    expect(t.t1).toBe(Date.parse(T(10)));
    expect(t.lanes.map((l) => l.label)).toEqual(["charge", "map [0]"]);
    const running2 = t.bars.find((b) => b.jobId === "a2" && b.phase === "running");
    expect(running2?.x).toBeCloseTo(400);
    expect(running2?.width).toBeCloseTo(600);
    expect(running2?.lane).toBe(0);
  });

  it("gives an instant a minimum width and keeps it inside the plot", () => {
    const t = buildTimeline(attempts, [], T(0), { width: 1000, now: Date.parse(T(20)), minBarWidth: 3 });
    const instant = t.bars.find((b) => b.jobId === "m0" && b.phase === "running");
    expect(instant?.width).toBe(3);
    expect((instant?.x ?? 0) + (instant?.width ?? 0)).toBeLessThanOrEqual(1000);
  });

  it("open bars end now and stretch the axis", () => {
    const open = [attempt({ state: "RUNNING", finishedAt: null })];
    const t = buildTimeline(open, [], T(0), { width: 100, now: Date.parse(T(20)) });
    expect(t.t1).toBe(Date.parse(T(20)));
    expect(t.bars.at(-1)?.title).toContain("so far");
  });

  it("draws waits from their start to their wake time", () => {
    const t = buildTimeline(
      [],
      [{ stepId: "cool", status: "WAITING", startedAt: T(0), wakeAt: T(60), endedAt: null }],
      T(0),
      {
        width: 600,
        now: Date.parse(T(5)),
      },
    );
    expect(t.bars).toHaveLength(1);
    expect(t.bars[0]?.phase).toBe("wait");
    expect(t.bars[0]?.width).toBeCloseTo(600);
  });

  it("caps the lanes and counts the hidden ones", () => {
    const many = Array.from({ length: 30 }, (_, i) => attempt({ jobId: `i${i}`, stepId: "map", item: i }));
    const t = buildTimeline(many, [], T(0), { width: 100, now: 0, maxLanes: 10 });
    expect(t.lanes).toHaveLength(10);
    expect(t.hiddenLanes).toBe(20);
    expect(new Set(t.bars.map((b) => b.lane)).size).toBe(10);
  });

  it("ticks at a nice step from 0", () => {
    const t = buildTimeline(attempts, [], T(0), { width: 1000, now: 0, targetTicks: 5 });
    expect(t.ticks.map((k) => k.label)).toEqual(["0", "+2.00 s", "+4.00 s", "+6.00 s", "+8.00 s", "+10.0 s"]);
    expect(t.ticks[1]?.x).toBeCloseTo(200);
    expect(niceStep(3_600_000, 6)).toBe(600_000);
    expect(niceStep(3_700_000, 6)).toBe(900_000);
  });

  it("an empty run has no bars", () => {
    expect(buildTimeline([], [], null, { width: 10, now: 5 }).bars).toEqual([]);
  });
});
