import { del, get, put } from "./http";
import type { ActionLimits, ActionLimitsBody, ActionLimitsList } from "./types";

const path = (action: string): string => `/actions/${encodeURIComponent(action)}/limits`;

/** Every action that has limits, by action, with its jobs in flight, throttled jobs and tokens now. */
export async function listLimits(): Promise<ActionLimits[]> {
  return (await get<ActionLimitsList>("/actions/limits")).items;
}

/** Set (replace) an action's limits: a concurrency cap, a rate, or both. */
export const setLimits = (action: string, body: ActionLimitsBody): Promise<ActionLimits> =>
  put<ActionLimits>(path(action), body);

/** Remove an action's limits (404 when it has none). */
export async function clearLimits(action: string): Promise<void> {
  await del<unknown>(path(action));
}
