// What the triggers pages say: a trigger's lag, and the dry runs and results of pause and resume.

import type { Trigger } from "../api/types";
import { formatCount } from "./format";

export type TriggerAction = "pause" | "resume";

export const TRIGGER_ACTIONS: readonly TriggerAction[] = ["pause", "resume"];

export function triggerAllowed(action: TriggerAction, paused: boolean): boolean {
  return action === "pause" ? !paused : paused;
}

/** Records of the topic not taken yet (sampled about every second, paused triggers too); null before
 * the first sample. */
export function lagText(lag: number | null | undefined): string {
  return lag === null || lag === undefined ? "unknown" : formatCount(lag);
}

/** The dialog's dry run, from what the page shows of the trigger (no request). */
export function triggerActionSummary(
  action: TriggerAction,
  t: Pick<Trigger, "id" | "paused" | "lag" | "kafka">,
): string {
  const head = `trigger ${t.id} (${t.paused ? "paused" : "active"}, lag ${lagText(t.lag)})`;
  return action === "pause"
    ? `${head} would stop taking records from ${t.kafka.topic}; they wait in the topic`
    : `${head} would take the records of ${t.kafka.topic} again, from where it stopped`;
}

export function triggerResult(t: Pick<Trigger, "paused">): string {
  return t.paused ? "Trigger paused." : "Trigger resumed.";
}

/** A template as written: a string as it is, any other JSON value (an object of templates) as JSON. */
export function templateText(template: unknown): string {
  return typeof template === "string" ? template : JSON.stringify(template);
}
