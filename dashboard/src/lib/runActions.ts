// What the run page's actions may do for a run's status, and what their dry run and result say.

import type { Run, RunChange } from "../api/types";

export type RunAction = "cancel" | "retry" | "pause" | "resume";

export const RUN_ACTIONS: readonly RunAction[] = ["cancel", "retry", "pause", "resume"];

/** Cancel a run that has not ended (paused too), retry a failed one, pause a running one, resume a
 * paused one. */
export function allowed(action: RunAction, status: string): boolean {
  switch (action) {
    case "cancel":
      return status === "RUNNING" || status === "PENDING" || status === "PAUSED";
    case "retry":
      return status === "FAILED";
    case "pause":
      return status === "RUNNING";
    case "resume":
      return status === "PAUSED";
  }
}

const UNFINISHED = new Set(["RUNNING", "PENDING", "WAITING"]);

/** The dialog's dry run: the run's status and the steps the action touches. */
export function actionSummary(action: RunAction, run: Pick<Run, "status" | "steps">): string {
  const head = `1 run (${run.status})`;
  if (action === "retry") {
    const again = run.steps.filter((s) => s.status !== "COMPLETED" && s.status !== "SKIPPED").length;
    return `${head}; ${again} unfinished steps would run again`;
  }
  const open = run.steps.filter((s) => UNFINISHED.has(s.status)).length;
  if (action === "cancel") return `${head}; ${open} unfinished steps would be withdrawn`;
  if (action === "pause") return `${head} would be paused; ${open} unfinished steps`;
  return `${head} would resume; ${open} unfinished steps`;
}

const DONE: Record<RunAction, [string, string]> = {
  cancel: ["Run cancelled.", "The run was already cancelled."],
  retry: ["Retry started.", "The run was already running again."],
  pause: ["Run paused.", "The run was already paused."],
  resume: ["Run resumed.", "The run was already running."],
};

/** The dialog's result, from the action's answer (`changed` false: it already was so). */
export function actionResult(action: RunAction, change: Pick<RunChange, "changed">): string {
  return DONE[action][change.changed ? 0 : 1];
}
