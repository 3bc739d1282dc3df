// Shapes of the public REST API: names for the schemas of openapi.ts, which is generated from the
// orchestrator's /openapi.json (`make api-types`; `make lint` fails when it is stale). Never write a
// shape by hand here: change the answer model in orchestrator/src/legato/api/models/ and regenerate.

import type { components } from "./openapi";

type Schemas = components["schemas"];

export type RunStatus = Schemas["RunSummary"]["status"] | "PAUSED";
export const RUN_STATUSES = [
  "PENDING",
  "RUNNING",
  "PAUSED",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
] as const satisfies readonly RunStatus[];

export type ErrorSummary = Schemas["RunError"];
export type RunPage = Schemas["RunPage"];
export type RunCounts = Schemas["RunCounts"];
export type LiveAttempt = Schemas["LiveAttempt"];
export type RunEvent = Schemas["RunEvent"];
export type RunEvents = Schemas["RunEvents"];
export type Attempt = Schemas["Attempt"];
export type StepWait = Schemas["StepWait"];
export type AttemptPage = Schemas["AttemptPage"];
export type BulkResult = Schemas["BulkResult"];
export type Definition = Schemas["Definition"];
export type Definitions = Schemas["Definitions"];
export type DefinitionVersion = Schemas["DefinitionVersion"];
export type WorkflowStats = Schemas["WorkflowStats"];
export type WorkflowStatsPage = Schemas["WorkflowStatsPage"];
export type WorkflowVersions = Schemas["WorkflowVersions"];
export type WorkerMember = Schemas["WorkerMember"];
export type ActionWorkers = Schemas["ActionWorkers"];
export type ActionWithoutWorker = Schemas["ActionWithoutWorker"];
export type WorkersResponse = Schemas["Workers"];
export type DeadLetter = Schemas["DeadLetter"];
export type DeadLetterDetail = Schemas["DeadLetterDetail"];
export type DeadLetterPage = Schemas["DeadLetterPage"];
export type ReplayResult = Schemas["ReplayAnswer"];
export type Percentiles = Schemas["Percentiles"];
export type OverviewMinute = Schemas["OverviewMinute"];
export type Overview = Schemas["Overview"];
export type Session = Schemas["Session"];

// ---------------------------------------------------------------------------------------------------
// Signals, child workflows, pause and resume: written here by hand only until the orchestrator's
// models for them land and `make api-types` regenerates openapi.ts. Each shape below is the generated
// schema plus the new fields, so once openapi.ts has them this block shrinks back to plain aliases
// (`Schemas["Run"]`, …) and the signal answers to their schema names. The new fields are optional:
// a server without the feature simply does not send them.

export type StepKindName = "task" | "map" | "wait" | "signal" | "workflow";

export type RunStep = Schemas["RunStep"] & {
  kind?: StepKindName;
  /** A signal step: the signal it waits for. */
  signal?: { name: string };
  /** A workflow step: the child workflow it starts. */
  workflow?: { id: string; version: number | null };
  /** A workflow step: the child run of its latest attempt (null before it started). */
  childRunId?: string | null;
};

export type Run = Omit<Schemas["Run"], "status" | "steps"> & {
  status: RunStatus;
  steps: RunStep[];
  /** A child run: the run (and its step) that started it. */
  parentRunId?: string | null;
  parentStepId?: string | null;
};

export type RunSummary = Omit<Schemas["RunSummary"], "status"> & { status: RunStatus };
export type RunChange = Omit<Schemas["RunChange"], "status"> & { status: RunStatus };

export type DefinitionStep = Schemas["WorkflowStep"] & {
  signal?: { name: string; timeoutSeconds?: number; default?: unknown };
  workflow?: { id: string; version?: number | null };
};

/** POST /workflow/run/{runId}/signal/{name}: `duplicate` when that signal id was already received. */
export interface SignalSent {
  runId: string;
  name: string;
  signalId: string;
  duplicate: boolean;
}

export interface RunSignal {
  signalId: string;
  name: string;
  payload: unknown;
  receivedAt: string;
  consumedAt: string | null;
  /** The signal step that consumed it. */
  stepId: string | null;
}

/** GET /workflow/run/{runId}/signals, oldest first. */
export interface RunSignals {
  runId: string;
  signals: RunSignal[];
}
