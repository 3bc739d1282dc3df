import { describe, expect, it } from "vitest";
import type { Trigger } from "../src/api/types";
import {
  backfillRange,
  backfillResult,
  outcomeTone,
  pausedResult,
  SCHEDULE_ACTIONS,
  scheduleActionSummary,
  scheduleAllowed,
  scheduleWhen,
  triggeredResult,
} from "../src/lib/schedules";
import {
  lagText,
  templateText,
  TRIGGER_ACTIONS,
  triggerActionSummary,
  triggerAllowed,
} from "../src/lib/triggers";

describe("schedules", () => {
  it("says when a schedule fires, with its time zone", () => {
    expect(scheduleWhen({ cron: "0 2 * * *", every: null, timezone: "Europe/Paris" })).toBe(
      "cron 0 2 * * * (Europe/Paris)",
    );
    expect(scheduleWhen({ cron: null, every: "1h", timezone: "UTC" })).toBe("every 1h (UTC)");
  });

  it("pauses an active schedule, resumes a paused one, triggers either", () => {
    const allowed = (paused: boolean) => SCHEDULE_ACTIONS.filter((a) => scheduleAllowed(a, paused)).join(",");
    expect(allowed(false)).toBe("pause,trigger");
    expect(allowed(true)).toBe("resume,trigger");
  });

  it("describes each action before it is confirmed, and its answer after", () => {
    const s = { id: "nightly", overlap: "skip" as const, paused: false };
    expect(scheduleActionSummary("pause", s, " deploy ")).toBe(
      'schedule nightly (active) would fire no more until resumed; note: "deploy"',
    );
    expect(scheduleActionSummary("trigger", s)).toBe(
      "schedule nightly (active) would fire once now, under its overlap policy (skip)",
    );
    expect(pausedResult({ paused: true, note: "deploy" })).toBe("Schedule paused (note: deploy).");
    expect(pausedResult({ paused: false, note: null })).toBe("Schedule resumed.");
    const fired = { scheduleId: "nightly", fireTime: "2026-01-05T10:00:00Z", runId: null };
    expect(
      triggeredResult({ ...fired, outcome: "skipped", message: "the previous run is still open" }),
    ).toMatch(/^Fired for .*: skipped; the previous run is still open\.$/);
    expect(triggeredResult({ ...fired, outcome: "started", runId: "r1", message: null })).toMatch(
      /: a run started \(run r1\)\.$/,
    );
    const backfill = { scheduleId: "nightly", fires: 4, started: 1, buffered: 1, skipped: 1, failed: 0 };
    expect(backfillResult({ ...backfill, alreadyFired: 1 })).toBe(
      "4 fire times: 1 started, 1 buffered, 1 skipped, 0 failed; 1 handled before (left alone).",
    );
  });

  it("takes a backfill range only with a start before its end", () => {
    expect(backfillRange("", "2026-01-05T10:00").ok).toBe(false);
    expect(backfillRange("2026-01-05T10:00", "2026-01-05T10:00")).toEqual({
      ok: false,
      error: "The start must be before the end.",
    });
    const r = backfillRange("2026-01-05T10:00", "2026-01-05T12:00");
    expect(r.ok && Date.parse(r.endAt) - Date.parse(r.startAt)).toBe(2 * 3_600_000);
  });

  it("colours outcomes", () => {
    expect(["started", "buffered", "skipped", "failed", "?"].map(outcomeTone)).toEqual([
      "ok",
      "waiting",
      "muted",
      "bad",
      "neutral",
    ]);
  });
});

describe("triggers", () => {
  it("pauses an active trigger, resumes a paused one", () => {
    expect(TRIGGER_ACTIONS.filter((a) => triggerAllowed(a, false))).toEqual(["pause"]);
    expect(TRIGGER_ACTIONS.filter((a) => triggerAllowed(a, true))).toEqual(["resume"]);
  });

  it("shows an unknown lag as such, a known one as a count", () => {
    expect(lagText(null)).toBe("unknown");
    expect(lagText(12345)).toBe("12,345");
    expect(lagText(0)).toBe("0");
    expect(templateText("${value}")).toBe("${value}");
    expect(templateText({ order: "${value.id}" })).toBe('{"order":"${value.id}"}');
    const t = { id: "orders-in", paused: false, lag: 3, kafka: { topic: "orders" } } as Trigger;
    expect(triggerActionSummary("pause", t)).toBe(
      "trigger orders-in (active, lag 3) would stop taking records from orders; they wait in the topic",
    );
  });
});
