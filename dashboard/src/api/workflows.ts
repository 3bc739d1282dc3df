import { get } from "./http";
import { pickList } from "./pick";
import type { Definition, WorkflowStats } from "./types";

export async function listDefinitions(): Promise<Definition[]> {
  return pickList<Definition>(await get<unknown>("/workflow/"), "workflows");
}

export function getDefinition(id: string, version?: number): Promise<Definition> {
  return get<Definition>(`/workflow/${encodeURIComponent(id)}`, { version });
}

export async function listVersions(id: string): Promise<Definition[]> {
  return pickList<Definition>(await get<unknown>(`/workflow/${encodeURIComponent(id)}/versions`), "versions");
}

export async function workflowStats(window = "24h"): Promise<WorkflowStats[]> {
  const body = await get<unknown>("/workflow/stats", { window });
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const list = record.workflows ?? record.stats;
    // Either a list of rows or a map keyed by workflow id.
    if (list && typeof list === "object" && !Array.isArray(list)) {
      return Object.entries(list as Record<string, Omit<WorkflowStats, "workflowId">>).map(
        ([workflowId, s]) => ({
          ...s,
          workflowId,
        }),
      );
    }
  }
  return pickList<WorkflowStats>(body, "workflows", "stats");
}
