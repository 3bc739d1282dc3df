// The run list's filters, kept in the page's query string (so a filtered list is a link) and turned
// into the API's query parameters or the `filter` body of bulk actions.

import type { Query } from "../api/http";
import { RUN_STATUSES } from "../api/types";

export interface RunFilter {
  status: string[];
  workflowId: string;
  version: string;
  createdAfter: string;
  createdBefore: string;
  runId: string;
  idempotencyKey: string;
  correlationId: string;
  scheduleId: string;
  triggerId: string;
  q: string;
}

export const TEXT_FIELDS = [
  "workflowId",
  "version",
  "createdAfter",
  "createdBefore",
  "runId",
  "idempotencyKey",
  "correlationId",
  "scheduleId",
  "triggerId",
  "q",
] as const;

export type TextField = (typeof TEXT_FIELDS)[number];

export const EMPTY_FILTER: RunFilter = {
  status: [],
  workflowId: "",
  version: "",
  createdAfter: "",
  createdBefore: "",
  runId: "",
  idempotencyKey: "",
  correlationId: "",
  scheduleId: "",
  triggerId: "",
  q: "",
};

const KNOWN = new Set<string>(RUN_STATUSES);

/** Statuses from `status=A,B` and/or repeated `status=` parameters; unknown and repeated ones dropped. */
export function parseStatuses(values: string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(",")) {
      const status = part.trim().toUpperCase();
      if (KNOWN.has(status) && !out.includes(status)) out.push(status);
    }
  }
  return RUN_STATUSES.filter((s) => out.includes(s));
}

export function filterFromSearch(search: string | URLSearchParams): RunFilter {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  const filter: RunFilter = { ...EMPTY_FILTER, status: parseStatuses(params.getAll("status")) };
  for (const field of TEXT_FIELDS) filter[field] = (params.get(field) ?? "").trim();
  if (filter.version && !/^\d+$/.test(filter.version)) filter.version = "";
  return filter;
}

/** The page query string for a filter: only the fields that are set, in a stable order. */
export function filterToSearch(filter: RunFilter): string {
  const params = new URLSearchParams();
  if (filter.status.length) params.set("status", filter.status.join(","));
  for (const field of TEXT_FIELDS) {
    const value = filter[field].trim();
    if (value) params.set(field, value);
  }
  return params.toString();
}

export function isEmptyFilter(filter: RunFilter): boolean {
  return filterToSearch(filter) === "";
}

/** The API's query (GET /workflow/runs, /counts) or, with `asBody`, the `filter` of bulk actions. */
export function filterToApiQuery(filter: RunFilter, asBody = false): Query & Record<string, unknown> {
  const out: Record<string, string | number | string[]> = {};
  if (filter.status.length) out.status = asBody ? [...filter.status] : filter.status.join(",");
  for (const field of TEXT_FIELDS) {
    const value = filter[field].trim();
    if (!value) continue;
    out[field] = field === "version" ? Number(value) : value;
  }
  return out;
}

export function withStatus(filter: RunFilter, status: string, on: boolean): RunFilter {
  const set = new Set(filter.status);
  if (on) set.add(status);
  else set.delete(status);
  return { ...filter, status: RUN_STATUSES.filter((s) => set.has(s)) };
}
