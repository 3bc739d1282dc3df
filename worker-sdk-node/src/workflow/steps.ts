/**
 * The step kinds a builder appends, as options objects, and their definition JSON
 * (docs/workflow-definitions.md). A field left undefined is absent from the JSON (never null);
 * a null inside `input` or a signal's `default` is kept.
 */

import { LegatoError } from "../errors.js";

/** A definition the builder refuses (the API checks everything else when it is defined). */
export class InvalidWorkflow extends LegatoError {}

/** A step's retry policy (`retry`). */
export interface RetryPolicy {
  maxAttempts?: number;
  initialDelayMs?: number;
  backoffCoefficient?: number;
  maxDelayMs?: number;
  jitter?: number;
  nonRetryableErrors?: string[];
}

/** What every kind of step takes. */
export interface Placement {
  /** The steps it waits for (each must already be in the workflow). */
  dependsOn?: string[];
  /** A JMESPath condition; false: the step is SKIPPED. */
  when?: string;
}

/** A task (a worker action), or a map over a list with `forEach`. */
export interface StepOptions extends Placement {
  action: string;
  input?: unknown;
  forEach?: string;
  maxParallel?: number;
  onItemFailure?: "fail" | "continue";
  retry?: RetryPolicy;
  startToCloseSeconds?: number;
  scheduleToStartSeconds?: number;
  heartbeatSeconds?: number;
}

/** A durable timer: `seconds`, or `until` (a Date, or ISO 8601 text with an offset). */
export interface WaitOptions extends Placement {
  seconds?: number;
  until?: string | Date;
}

/** Waits for the signal `name`; `default` (with `timeoutSeconds`) is its output on timeout. */
export interface SignalStepOptions extends Placement {
  name: string;
  timeoutSeconds?: number;
  default?: unknown;
  retry?: RetryPolicy;
}

/** Runs workflow `workflow` (at `version`, default the latest) as a child run. */
export interface ChildOptions extends Placement {
  workflow: string;
  version?: number;
  input?: unknown;
  retry?: RetryPolicy;
}

export type StepJson = Record<string, unknown>;

/** `fields` without its undefined members, in order. */
export function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function retryJson(retry: RetryPolicy | undefined): StepJson | undefined {
  return retry === undefined ? undefined : defined({ ...retry });
}

function placed(id: string, placement: Placement, fields: StepJson): StepJson {
  return defined({ id, dependsOn: placement.dependsOn, when: placement.when, ...fields });
}

export function taskStep(id: string, options: StepOptions): StepJson {
  const { action, input, forEach, maxParallel, onItemFailure, retry } = options;
  const { startToCloseSeconds, scheduleToStartSeconds, heartbeatSeconds } = options;
  return placed(id, options, {
    action,
    input,
    forEach,
    maxParallel,
    onItemFailure,
    retry: retryJson(retry),
    startToCloseSeconds,
    scheduleToStartSeconds,
    heartbeatSeconds,
  });
}

export function waitStep(id: string, options: WaitOptions): StepJson {
  const { seconds, until } = options;
  if ((seconds === undefined) === (until === undefined)) {
    throw new InvalidWorkflow(`wait step "${id}": give either seconds or until`);
  }
  const wait = seconds !== undefined ? { seconds } : { until: isoText(until as string | Date) };
  return placed(id, options, { wait });
}

export function signalStep(id: string, options: SignalStepOptions): StepJson {
  const { name, timeoutSeconds, retry } = options;
  const signal = defined({ name, timeoutSeconds, default: options.default });
  return placed(id, options, { signal, retry: retryJson(retry) });
}

export function childStep(id: string, options: ChildOptions): StepJson {
  const { workflow, version, input, retry } = options;
  return placed(id, options, {
    workflow: defined({ id: workflow, version }),
    input,
    retry: retryJson(retry),
  });
}

/**
 * A Date as ISO 8601 with an offset, as the other SDKs write an aware UTC time
 * (`2027-01-01T00:00:00+00:00`, microseconds only when not zero); text is kept as given.
 */
export function isoText(until: string | Date): string {
  if (typeof until === "string") return until;
  if (Number.isNaN(until.getTime())) throw new InvalidWorkflow("wait until: an invalid Date");
  const [seconds, millis] = until.toISOString().replace(/Z$/, "").split(".");
  const fraction = millis === undefined || millis === "000" ? "" : `.${millis}000`;
  return `${seconds}${fraction}+00:00`;
}
