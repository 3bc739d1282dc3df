// What the schedules pages say: a schedule's "when", a fire's outcome, and the dry runs and results
// of pause, resume, trigger now and backfill.

import type { BackfillOverlap, BackfillResult, Schedule, ScheduleFired } from "../api/types";
import { formatTime, localInputToIso } from "./format";

/** "every 1h (UTC)", "cron 0 2 * * * (Europe/Paris)". */
export function scheduleWhen(s: Pick<Schedule, "cron" | "every" | "timezone">): string {
  const zone = s.timezone || "UTC";
  if (s.cron) return `cron ${s.cron} (${zone})`;
  if (s.every) return `every ${s.every} (${zone})`;
  return `– (${zone})`;
}

const OUTCOME_TONES: Record<string, string> = {
  started: "ok",
  buffered: "waiting",
  skipped: "muted",
  failed: "bad",
};

/** The CSS tone of a fire's outcome. */
export function outcomeTone(outcome: string): string {
  return OUTCOME_TONES[outcome] ?? "neutral";
}

/** The overlap policies a backfill may name; "" keeps the schedule's own. */
export const BACKFILL_OVERLAPS: readonly BackfillOverlap[] = [
  "skip",
  "bufferOne",
  "bufferAll",
  "allowAll",
  "cancelOther",
];

export type ScheduleAction = "pause" | "resume" | "trigger";

export const SCHEDULE_ACTIONS: readonly ScheduleAction[] = ["pause", "resume", "trigger"];

/** Pause an active schedule, resume a paused one; trigger now either (one fire, under its policy). */
export function scheduleAllowed(action: ScheduleAction, paused: boolean): boolean {
  if (action === "pause") return !paused;
  if (action === "resume") return paused;
  return true;
}

/** The dialog's dry run, from what the page shows of the schedule (no request). */
export function scheduleActionSummary(
  action: ScheduleAction,
  s: Pick<Schedule, "id" | "overlap" | "paused">,
  note = "",
): string {
  const head = `schedule ${s.id} (${s.paused ? "paused" : "active"})`;
  if (action === "pause") {
    return `${head} would fire no more until resumed${note.trim() ? `; note: "${note.trim()}"` : ""}`;
  }
  if (action === "resume")
    return `${head} would fire again; the fire times missed while paused are not caught up`;
  return `${head} would fire once now, under its overlap policy (${s.overlap})`;
}

/** The dialog's result, from the answer of pause or resume. */
export function pausedResult(s: Pick<Schedule, "paused" | "note">): string {
  if (!s.paused) return "Schedule resumed.";
  return s.note ? `Schedule paused (note: ${s.note}).` : "Schedule paused.";
}

/** The dialog's result of "trigger now": the outcome, its run, and why when the server says. */
export function triggeredResult(answer: ScheduleFired): string {
  const what = answer.outcome === "started" ? "a run started" : answer.outcome;
  const run = answer.runId ? ` (run ${answer.runId})` : "";
  const why = answer.message ? `; ${answer.message}` : "";
  return `Fired for ${formatTime(answer.fireTime)}: ${what}${run}${why}.`;
}

export type BackfillRange = { ok: true; startAt: string; endAt: string } | { ok: false; error: string };

/** The backfill form's two datetime-local boxes: both set, start before end. */
export function backfillRange(startLocal: string, endLocal: string): BackfillRange {
  const startAt = localInputToIso(startLocal);
  const endAt = localInputToIso(endLocal);
  if (!startAt || !endAt) return { ok: false, error: "Give a start and an end." };
  if (Date.parse(startAt) >= Date.parse(endAt))
    return { ok: false, error: "The start must be before the end." };
  return { ok: true, startAt, endAt };
}

export function backfillSummary(
  s: Pick<Schedule, "id" | "overlap">,
  range: { startAt: string; endAt: string },
  overlap: BackfillOverlap | "",
): string {
  return (
    `every fire time of schedule ${s.id} from ${formatTime(range.startAt)} until ${formatTime(range.endAt)} ` +
    `(at most 1,000) would fire, under ${overlap ? `the overlap policy ${overlap}` : `its own overlap policy (${s.overlap})`}`
  );
}

export function backfillResult(r: BackfillResult): string {
  return (
    `${r.fires} fire times: ${r.started} started, ${r.buffered} buffered, ${r.skipped} skipped, ` +
    `${r.failed} failed; ${r.alreadyFired} handled before (left alone).`
  );
}
