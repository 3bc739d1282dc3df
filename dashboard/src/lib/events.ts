// A line of plain words for the history's events of signals, child runs and pause/resume (their data
// is still shown whole beside it); other events read well enough by their type.

import type { RunEvent } from "../api/types";

function text(data: Record<string, unknown>, key: string): string | null {
  const v = data[key];
  return typeof v === "string" || typeof v === "number" ? String(v) : null;
}

function record(data: unknown): Record<string, unknown> {
  return data && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

function signal(data: Record<string, unknown>): string {
  const name = text(data, "name");
  return name === null ? "a signal" : `signal ${name}`;
}

function withId(what: string, data: Record<string, unknown>): string {
  const id = text(data, "signalId");
  return id === null ? what : `${what} (id ${id})`;
}

function by(what: string, data: Record<string, unknown>): string {
  const who = text(data, "by");
  const reason = text(data, "reason");
  return `${what}${who === null ? "" : ` by ${who}`}${reason === null ? "" : `: ${reason}`}`;
}

export function describeEvent(event: Pick<RunEvent, "type" | "data" | "stepId">): string | null {
  const d = record(event.data);
  switch (event.type) {
    case "SIGNAL_WAITING":
      return `waiting for ${signal(d)}`;
    case "SIGNAL_RECEIVED":
      return withId(`${signal(d)} received`, d);
    case "SIGNAL_CONSUMED":
      return withId(`${signal(d)} consumed${event.stepId ? ` by step ${event.stepId}` : ""}`, d);
    case "SIGNAL_TIMED_OUT":
      return `the wait for ${signal(d)} timed out`;
    case "CHILD_STARTED": {
      const workflow = text(d, "workflowId");
      const version = text(d, "version");
      return `child run started${workflow === null ? "" : `: ${workflow}${version === null ? "" : ` v${version}`}`}`;
    }
    case "CHILD_ENDED": {
      const status = text(d, "status");
      return `child run ended${status === null ? "" : `: ${status}`}`;
    }
    case "RUN_PAUSED":
      return by("run paused", d);
    case "RUN_RESUMED":
      return by("run resumed", d);
    default:
      return null;
  }
}

/** The child run a CHILD_STARTED or CHILD_ENDED event is about, to link to it. */
export function childRunOf(event: Pick<RunEvent, "type" | "data">): string | null {
  if (event.type !== "CHILD_STARTED" && event.type !== "CHILD_ENDED") return null;
  return text(record(event.data), "childRunId");
}

/** The SSE event names of a run's event stream: each history event is sent under its type, and
 * `end` closes the stream. A type missing here delays a live view's refresh to the next event. */
export const STREAM_EVENT_TYPES: readonly string[] = [
  "RUN_CREATED",
  "RUN_STARTED",
  "STEP_SCHEDULED",
  "ATTEMPT_STARTED",
  "STEP_COMPLETED",
  "STEP_FAILED",
  "STEP_TIMED_OUT",
  "STEP_REQUEUED",
  "STEP_DEAD_LETTERED",
  "STEP_SKIPPED",
  "STEP_REPLAYED",
  "ITEM_COMPLETED",
  "ITEM_DEAD_LETTERED",
  "TIMER_CREATED",
  "TIMER_FIRED",
  "SIGNAL_WAITING",
  "SIGNAL_RECEIVED",
  "SIGNAL_CONSUMED",
  "SIGNAL_TIMED_OUT",
  "CHILD_STARTED",
  "CHILD_ENDED",
  "RESULT_IGNORED",
  "RUN_PAUSED",
  "RUN_RESUMED",
  "RUN_RETRIED",
  "RUN_REPLAYED",
  "RUN_COMPLETED",
  "RUN_FAILED",
  "RUN_CANCELLED",
  "end",
];
