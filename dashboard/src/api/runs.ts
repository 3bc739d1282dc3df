import type { RunFilter } from "../lib/filters";
import { filterToApiQuery } from "../lib/filters";
import { get, post } from "./http";
import type {
  Attempt,
  AttemptPage,
  BulkResult,
  RunCounts as CountsAnswer,
  Run,
  RunChange,
  RunEvents,
  RunPage,
  RunSignals,
  SignalSent,
} from "./types";

export const listRuns = (filter: RunFilter, cursor: string | null, limit = 50): Promise<RunPage> =>
  get<RunPage>("/workflow/runs", { ...filterToApiQuery(filter), cursor, limit });

export interface RunCounts {
  counts: Record<string, number>;
  /** Statuses whose count reached the server's cap: the real count is at least that. */
  atLeast: string[];
  /** With a text search, counts cover only this many newest runs. */
  searchWindow: number | null;
}

export async function runCounts(filter: RunFilter): Promise<RunCounts> {
  const query = filterToApiQuery({ ...filter, status: [] });
  const body = await get<CountsAnswer>("/workflow/runs/counts", query);
  return { counts: body.counts, atLeast: body.atLeast ?? [], searchWindow: body.searchWindow ?? null };
}

/** What a bulk action applies to: the selected runs, or every run matching the filter. */
export type BulkTarget = { runIds: string[] } | { filter: RunFilter };

/** The bulk actions: POST /workflow/runs/<action>, all with the same body and answer. */
export type BulkVerb = "cancel" | "retry" | "pause" | "resume";

export function bulkAction(
  action: BulkVerb,
  target: BulkTarget,
  dryRun: boolean,
  limit?: number,
): Promise<BulkResult> {
  const body =
    "runIds" in target
      ? { runIds: target.runIds, dryRun }
      : { filter: filterToApiQuery(target.filter, true), dryRun, ...(limit ? { limit } : {}) };
  return post<BulkResult>(`/workflow/runs/${action}`, body);
}

export const getRun = (runId: string): Promise<Run> => get<Run>(`/workflow/run/${encodeURIComponent(runId)}`);

export async function getEvents(
  runId: string,
  after: number,
  limit: number,
): Promise<{ events: RunEvents["events"]; last: boolean }> {
  const body = await get<RunEvents>(`/workflow/run/${encodeURIComponent(runId)}/events`, {
    after,
    limit,
  });
  return { events: body.events, last: body.events.length < limit };
}

/** Every attempt of a run, following the cursor up to `maxPages` pages (huge maps stay bounded). */
export async function getAttempts(runId: string, maxPages = 10): Promise<AttemptPage> {
  const attempts: Attempt[] = [];
  let first: AttemptPage | null = null;
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const body: AttemptPage = await get<AttemptPage>(`/workflow/run/${encodeURIComponent(runId)}/attempts`, {
      cursor,
      limit: 1000,
    });
    first ??= body;
    attempts.push(...body.attempts);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return { runId: first?.runId ?? runId, attempts, waits: first?.waits ?? [], nextCursor: cursor };
}

export const cancelRun = (runId: string): Promise<RunChange> =>
  post<RunChange>(`/workflow/run/${encodeURIComponent(runId)}/cancel`);
export const retryRun = (runId: string): Promise<RunChange> =>
  post<RunChange>(`/workflow/run/${encodeURIComponent(runId)}/retry`);
export const pauseRun = (runId: string): Promise<RunChange> =>
  post<RunChange>(`/workflow/run/${encodeURIComponent(runId)}/pause`);
export const resumeRun = (runId: string): Promise<RunChange> =>
  post<RunChange>(`/workflow/run/${encodeURIComponent(runId)}/resume`);

/** Send the signal `name` to a run; with `signalId`, sending it again is answered as a duplicate. */
export function sendSignal(
  runId: string,
  name: string,
  payload: unknown,
  signalId?: string,
): Promise<SignalSent> {
  const body: Record<string, unknown> = { payload };
  if (signalId) body.signalId = signalId;
  return post<SignalSent>(
    `/workflow/run/${encodeURIComponent(runId)}/signal/${encodeURIComponent(name)}`,
    body,
  );
}

export const getSignals = (runId: string): Promise<RunSignals> =>
  get<RunSignals>(`/workflow/run/${encodeURIComponent(runId)}/signals`);
