/** What the API answers about runs, as the Client returns it, and the RunHandle of one run. */

export type RunStatus = "PENDING" | "RUNNING" | "PAUSED" | "COMPLETED" | "FAILED" | "CANCELLED";

export const TERMINAL: ReadonlySet<string> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** A step of a run (GET /workflow/run/{id}: `steps[]`); the API's other fields are kept too. */
export interface RunStep {
  id: string;
  kind: string;
  action: string | null;
  status: string;
  attempts: number;
  output: unknown;
  error: unknown;
  [field: string]: unknown;
}

/** A run with its steps; `raw` is the API's whole answer (timestamps, parent, priority...). */
export interface Run {
  runId: string;
  workflowId: string;
  version: number;
  status: RunStatus;
  input: unknown;
  output: unknown;
  error: unknown;
  steps: RunStep[];
  raw: Record<string, unknown>;
}

/** One run of GET /workflow/runs. */
export interface RunSummary {
  runId: string;
  workflowId: string;
  version: number;
  status: RunStatus;
  createdAt: string;
  endedAt: string | null;
  error: unknown;
  [field: string]: unknown;
}

/** One event of a run's history (the same object in GET .../events and the event stream). */
export interface RunEvent {
  id: number;
  at: string;
  type: string;
  stepId: string | null;
  attempt: number | null;
  data: unknown;
}

/** What a cancel, retry, pause or resume did. */
export interface RunChange {
  runId: string;
  status: RunStatus;
  changed: boolean;
  retriedSteps?: string[];
}

/** The answer to a signal. */
export interface SignalSent {
  runId: string;
  name: string;
  signalId: string;
  duplicate: boolean;
  consumedBy: string | null;
}

/** The answer to a define: at least the workflow's `id` and the `version` it is now at. */
export interface DefinitionAnswer {
  id: string;
  version: number;
  [field: string]: unknown;
}

export interface AwaitOptions {
  /** Give up after this long (AwaitTimeout); absent: wait until the run ends. */
  timeoutSeconds?: number;
  /** Stop waiting when it aborts (rejects with its reason). */
  signal?: AbortSignal;
}

export interface EventsOptions {
  /** Only events with a greater id (default 0: the whole history). */
  after?: number;
  signal?: AbortSignal;
}

/** What a RunHandle asks of its client. */
export interface RunOperations {
  get(runId: string): Promise<Run>;
  result<T = unknown>(runId: string, options?: AwaitOptions): Promise<T>;
  events(runId: string, options?: EventsOptions): AsyncIterable<RunEvent>;
}

/** One run, by id: what `trigger` returns and `run(id)` makes (no request). */
export class RunHandle {
  constructor(
    readonly runId: string,
    private readonly client: RunOperations,
  ) {}

  get(): Promise<Run> {
    return this.client.get(this.runId);
  }

  /** The run's output once it COMPLETED (RunFailed, RunCancelled, AwaitTimeout otherwise). */
  result<T = unknown>(options?: AwaitOptions): Promise<T> {
    return this.client.result<T>(this.runId, options);
  }

  events(options?: EventsOptions): AsyncIterable<RunEvent> {
    return this.client.events(this.runId, options);
  }
}

/** A Run from the API's JSON answer. */
export function runFrom(raw: Record<string, unknown>): Run {
  return {
    runId: raw["runId"] as string,
    workflowId: raw["workflowId"] as string,
    version: raw["version"] as number,
    status: raw["status"] as RunStatus,
    input: raw["input"] ?? null,
    output: raw["output"] ?? null,
    error: raw["error"] ?? null,
    steps: (raw["steps"] as RunStep[] | undefined) ?? [],
    raw,
  };
}
