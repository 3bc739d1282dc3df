// Small pure helpers of the dead letters view.

import type { ReplayResult } from "../api/types";

/** Record headers as rows, whether the API sends an object or a list of pairs. */
export function headerRows(headers: unknown): [string, string | null][] {
  if (Array.isArray(headers)) {
    return headers
      .filter((h): h is [unknown, unknown] => Array.isArray(h) && h.length >= 2)
      .map(([k, v]) => [String(k), v === null || v === undefined ? null : String(v)]);
  }
  if (headers && typeof headers === "object") {
    return Object.entries(headers as Record<string, unknown>).map(([k, v]) => [
      k,
      v === null || v === undefined ? null : typeof v === "string" ? v : JSON.stringify(v),
    ]);
  }
  return [];
}

export type Override = { ok: true; value: unknown } | { ok: false; error: string };

/** The payload override box: empty means "the original payload" (undefined), else it must be JSON. */
export function parseOverride(text: string): Override {
  if (text.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function replaySummary(r: ReplayResult, dryRun: boolean): string {
  return dryRun
    ? `${r.matched} dead letters match, ${r.replayed} would be replayed`
    : `${r.replayed} of ${r.matched} dead letters replayed.`;
}
