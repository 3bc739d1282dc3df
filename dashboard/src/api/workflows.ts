import { get } from "./http";
import type {
  Definition,
  Definitions,
  DefinitionVersion,
  WorkflowStats,
  WorkflowStatsPage,
  WorkflowVersions,
} from "./types";

export async function listDefinitions(): Promise<Definition[]> {
  return (await get<Definitions>("/workflow/")).workflows;
}

export function getDefinition(id: string, version?: number): Promise<Definition> {
  return get<Definition>(`/workflow/${encodeURIComponent(id)}`, { version });
}

export async function listVersions(id: string): Promise<DefinitionVersion[]> {
  return (await get<WorkflowVersions>(`/workflow/${encodeURIComponent(id)}/versions`)).versions;
}

export async function workflowStats(window = "24h"): Promise<WorkflowStats[]> {
  return (await get<WorkflowStatsPage>("/workflow/stats", { window })).workflows;
}
