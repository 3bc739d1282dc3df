import { get, post } from "./http";
import type { DeadLetterDetail, DeadLetterPage, Overview, ReplayResult, WorkersResponse } from "./types";

export interface DeadLetterFilter {
  workflowId?: string;
  action?: string;
  errorType?: string;
  since?: string;
  runId?: string;
  replayed?: "" | "true" | "false";
}

export const listDeadLetters = (
  filter: DeadLetterFilter,
  cursor: string | null,
  limit = 50,
): Promise<DeadLetterPage> => get<DeadLetterPage>("/dead-letters", { ...filter, cursor, limit });

export const getDeadLetter = (id: string): Promise<DeadLetterDetail> =>
  get<DeadLetterDetail>(`/dead-letters/${encodeURIComponent(id)}`);

export type ReplayTarget = { ids: string[] } | { filter: DeadLetterFilter };

export function replayDeadLetters(
  target: ReplayTarget,
  dryRun: boolean,
  payload?: unknown,
): Promise<ReplayResult> {
  const body: Record<string, unknown> = { ...target, dryRun };
  if (payload !== undefined) body.payload = payload;
  return post<ReplayResult>("/dead-letters/replay", body);
}

export const getWorkers = (): Promise<WorkersResponse> => get<WorkersResponse>("/workers");

export const getOverview = (window = "1h"): Promise<Overview> => get<Overview>("/stats/overview", { window });
