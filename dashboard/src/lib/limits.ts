// What the limits page says: an action's limits in words, the form's boxes as the body of
// PUT /actions/{action}/limits, the dry run of clearing them, and why a request was refused.

import { ApiError } from "../api/http";
import type { ActionLimits, ActionLimitsBody, ActionRate } from "../api/types";
import { formatCount } from "./format";

/** The form's boxes as typed: empty means "no such limit". */
export interface LimitDraft {
  action: string;
  maxConcurrent: string;
  rateLimit: string;
  periodSeconds: string;
}

export const EMPTY_DRAFT: LimitDraft = { action: "", maxConcurrent: "", rateLimit: "", periodSeconds: "" };

/** The form filled with an action's limits, to change them. */
export function draftOf(l: ActionLimits): LimitDraft {
  return {
    action: l.action,
    maxConcurrent: l.maxConcurrent === null ? "" : String(l.maxConcurrent),
    rateLimit: l.rate ? String(l.rate.limit) : "",
    periodSeconds: l.rate ? String(l.rate.periodSeconds) : "",
  };
}

export type ParsedLimits =
  { ok: true; action: string; body: ActionLimitsBody } | { ok: false; error: string };

const WHOLE = /^\d+$/;

/** The draft as the request's body. Only its shape is checked here: the ranges are the API's to judge
 * (its 422 is shown as it is). */
export function parseDraft(d: LimitDraft): ParsedLimits {
  const action = d.action.trim();
  const max = d.maxConcurrent.trim();
  const limit = d.rateLimit.trim();
  const period = d.periodSeconds.trim();
  if (!action) return { ok: false, error: "Name the action." };
  if (max && !WHOLE.test(max)) return { ok: false, error: "Max concurrent must be a whole number." };
  if (Boolean(limit) !== Boolean(period))
    return { ok: false, error: "A rate needs both a number of jobs and a period." };
  if (limit && !WHOLE.test(limit)) return { ok: false, error: "The rate's jobs must be a whole number." };
  if (period && !Number.isFinite(Number(period)))
    return { ok: false, error: "The rate's period must be a number of seconds." };
  if (!max && !limit) return { ok: false, error: "Give a max concurrent, a rate, or both." };
  return {
    ok: true,
    action,
    body: {
      maxConcurrent: max ? Number(max) : null,
      rate: limit ? { limit: Number(limit), periodSeconds: Number(period) } : null,
    },
  };
}

/** 1 s, 0.5 s, 30 s, 1 min, 90 s, 2 h, 1 d. */
export function periodText(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** "10 / 1 s": at most 10 jobs started per second; "none" without a rate. */
export function rateText(rate: ActionRate | null): string {
  return rate ? `${formatCount(rate.limit)} / ${periodText(rate.periodSeconds)}` : "none";
}

export function maxConcurrentText(max: number | null): string {
  return max === null ? "none" : formatCount(max);
}

/** Rate tokens left now, to one decimal (a token refills bit by bit); "–" without a rate. */
export function tokensText(tokens: number | null): string {
  if (tokens === null || !Number.isFinite(tokens)) return "–";
  return Number.isInteger(tokens) ? formatCount(tokens) : (Math.floor(tokens * 10) / 10).toFixed(1);
}

/** "at most 5 at a time, 10 / 1 s". */
export function limitsText(l: Pick<ActionLimits, "maxConcurrent" | "rate">): string {
  const parts: string[] = [];
  if (l.maxConcurrent !== null) parts.push(`at most ${formatCount(l.maxConcurrent)} at a time`);
  if (l.rate) parts.push(rateText(l.rate));
  return parts.join(", ") || "no limit";
}

export function savedResult(l: ActionLimits): string {
  return `Limits of ${l.action} saved: ${limitsText(l)}.`;
}

/** The clear dialog's dry run, from what the page shows of the action (no request). */
export function clearSummary(l: ActionLimits): string {
  return (
    `action ${l.action} (${limitsText(l)}; ${formatCount(l.inFlight)} in flight, ` +
    `${formatCount(l.throttled)} throttled) would have no limit`
  );
}

export function clearedResult(action: string): string {
  return `Limits of ${action} cleared.`;
}

/** A validation problem's `detail` list ({loc, msg}) as "rate.limit: Input should be …" lines. */
function validationText(body: unknown): string | null {
  const detail = body && typeof body === "object" ? (body as Record<string, unknown>).detail : undefined;
  if (!Array.isArray(detail) || detail.length === 0) return null;
  return detail
    .map((e: unknown) => {
      const { loc, msg } = (e ?? {}) as { loc?: unknown; msg?: unknown };
      const where = Array.isArray(loc) ? loc.filter((p) => p !== "body").join(".") : "";
      return `${where ? `${where}: ` : ""}${typeof msg === "string" ? msg : JSON.stringify(e)}`;
    })
    .join("; ");
}

/** Why a save or clear was refused, with the status and the problem's detail. */
export function refusedText(what: string, err: unknown): string {
  if (err instanceof ApiError) return `${what} (${err.status}): ${validationText(err.body) ?? err.message}`;
  return `${what}: ${err instanceof Error ? err.message : String(err)}`;
}
