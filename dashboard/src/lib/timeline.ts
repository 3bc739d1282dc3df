// Geometry of the attempts timeline: one lane per step (per item for maps), bars for the phases of
// every attempt (pending before dispatch, queued, running) and for waits, on a shared time axis.

import type { Attempt, StepWait } from "../api/types";
import { formatDuration, parseTime } from "./format";

export type Phase = "pending" | "queued" | "running" | "wait";

export interface Bar {
  key: string;
  lane: number;
  phase: Phase;
  state: string;
  attempt: number;
  jobId: string | null;
  start: number;
  end: number;
  x: number;
  width: number;
  title: string;
}

export interface Lane {
  key: string;
  label: string;
}

export interface Tick {
  x: number;
  label: string;
}

export interface Timeline {
  t0: number;
  t1: number;
  lanes: Lane[];
  bars: Bar[];
  ticks: Tick[];
  hiddenLanes: number;
}

export interface TimelineOptions {
  width: number;
  now: number;
  maxLanes?: number;
  minBarWidth?: number;
  targetTicks?: number;
}

const OPEN_STATES = new Set(["PENDING", "DISPATCHED", "RUNNING", "STARTED", "QUEUED"]);
const STEPS_MS = [
  100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

interface Span {
  laneKey: string;
  laneLabel: string;
  phase: Phase;
  state: string;
  attempt: number;
  jobId: string | null;
  start: number;
  end: number | null; // null: still open, ends "now"
}

function laneOf(stepId: string, item: number | null): { key: string; label: string } {
  return item === null || item === undefined
    ? { key: stepId, label: stepId }
    : { key: `${stepId}#${item}`, label: `${stepId} [${item}]` };
}

/** The phases of one attempt, in order; an attempt with no usable times gives none. */
export function attemptSpans(a: Attempt): Span[] {
  const lane = laneOf(a.stepId, a.item);
  const created = parseTime(a.createdAt);
  const dispatched = parseTime(a.dispatchedAt);
  const started = parseTime(a.startedAt);
  const finished = parseTime(a.finishedAt);
  const open = finished === null && OPEN_STATES.has(a.state.toUpperCase());
  const end = finished ?? (open ? null : (started ?? dispatched ?? created));
  const base = {
    laneKey: lane.key,
    laneLabel: lane.label,
    state: a.state,
    attempt: a.attempt,
    jobId: a.jobId,
  };
  const spans: Span[] = [];
  const queuedFrom = dispatched ?? (started === null ? null : created);
  if (created !== null && (dispatched === null ? started === null : dispatched > created)) {
    spans.push({ ...base, phase: "pending", start: created, end: dispatched ?? end });
  }
  if (queuedFrom !== null) spans.push({ ...base, phase: "queued", start: queuedFrom, end: started ?? end });
  if (started !== null) spans.push({ ...base, phase: "running", start: started, end });
  return spans;
}

function waitSpan(w: StepWait, fallbackStart: number | null): Span | null {
  const start = parseTime(w.startedAt) ?? fallbackStart;
  if (start === null) return null;
  const wake = parseTime(w.wakeAt);
  const ended = parseTime(w.endedAt);
  const lane = laneOf(w.stepId, null);
  return {
    laneKey: lane.key,
    laneLabel: lane.label,
    phase: "wait",
    state: ended !== null ? "DONE" : "WAITING",
    attempt: 0,
    jobId: null,
    start,
    end: ended ?? wake,
  };
}

export function niceStep(spanMs: number, targetTicks: number): number {
  const raw = spanMs / Math.max(1, targetTicks);
  return STEPS_MS.find((s) => s >= raw) ?? Math.ceil(raw / 86_400_000) * 86_400_000;
}

export function buildTimeline(
  attempts: Attempt[],
  waits: StepWait[],
  runCreatedAt: string | null,
  options: TimelineOptions,
): Timeline {
  const { width, now, maxLanes = 100, minBarWidth = 2, targetTicks = 6 } = options;
  const runStart = parseTime(runCreatedAt);
  const spans = attempts.flatMap(attemptSpans);
  for (const w of waits) {
    const span = waitSpan(w, runStart);
    if (span) spans.push(span);
  }
  const lanes: Lane[] = [];
  const laneIndex = new Map<string, number>();
  let hiddenLanes = 0;
  const hidden = new Set<string>();
  for (const s of spans) {
    if (laneIndex.has(s.laneKey) || hidden.has(s.laneKey)) continue;
    if (lanes.length >= maxLanes) {
      hidden.add(s.laneKey);
      hiddenLanes++;
      continue;
    }
    laneIndex.set(s.laneKey, lanes.length);
    lanes.push({ key: s.laneKey, label: s.laneLabel });
  }
  const shown = spans.filter((s) => laneIndex.has(s.laneKey));
  if (shown.length === 0) return { t0: now, t1: now + 1000, lanes, bars: [], ticks: [], hiddenLanes };
  const t0 = Math.min(...shown.map((s) => s.start), runStart ?? Infinity);
  const t1 = Math.max(t0 + 1000, ...shown.map((s) => Math.max(s.start, s.end ?? now)));
  const scale = width / (t1 - t0);
  const bars = shown.map((s, i) => {
    const end = Math.max(s.start, s.end ?? now);
    const x = (s.start - t0) * scale;
    const w = Math.max(minBarWidth, (end - s.start) * scale);
    const what = s.phase === "wait" ? "wait" : `attempt ${s.attempt} ${s.phase}`;
    return {
      key: `${s.jobId ?? s.laneKey}:${s.phase}:${i}`,
      lane: laneIndex.get(s.laneKey) ?? 0,
      phase: s.phase,
      state: s.state,
      attempt: s.attempt,
      jobId: s.jobId,
      start: s.start,
      end,
      x: Math.min(x, Math.max(0, width - w)),
      width: w,
      title: `${s.laneLabel}: ${what}, ${formatDuration(end - s.start)}${s.end === null ? " so far" : ""} (${s.state})`,
    };
  });
  const step = niceStep(t1 - t0, targetTicks);
  const ticks: Tick[] = [];
  for (let t = 0; t <= t1 - t0; t += step)
    ticks.push({ x: t * scale, label: t === 0 ? "0" : `+${formatDuration(t)}` });
  return { t0, t1, lanes, bars, ticks, hiddenLanes };
}
