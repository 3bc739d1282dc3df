// Shapes of the public REST API: names for the schemas of openapi.ts, which is generated from the
// orchestrator's /openapi.json (`make api-types`; `make lint` fails when it is stale). Never write a
// shape by hand here: change the answer model in orchestrator/src/legato/api/models/ and regenerate.

import type { components } from "./openapi";

type Schemas = components["schemas"];

export type RunStatus = Schemas["RunSummary"]["status"];
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

export type StepKindName = Schemas["RunStep"]["kind"];
export type RunStep = Schemas["RunStep"];
export type Run = Schemas["Run"];
export type RunSummary = Schemas["RunSummary"];
export type RunChange = Schemas["RunChange"];
export type DefinitionStep = Schemas["WorkflowStep"];
export type SignalSent = Schemas["SignalSent"];
export type RunSignal = Schemas["ReceivedSignal"];
export type RunSignals = Schemas["RunSignals"];

export type Schedule = Schemas["Schedule"];
export type ScheduleList = Schemas["ScheduleList"];
export type ScheduleFire = Schemas["ScheduleFire"];
export type ScheduleFired = Schemas["ScheduleFired"];
export type Overlap = Schemas["Schedule"]["overlap"];
export type BackfillOverlap = NonNullable<Schemas["BackfillBody"]["overlap"]>;
export type BackfillResult = Schemas["Backfill"];
export type Trigger = Schemas["Trigger"];
export type TriggerList = Schemas["TriggerList"];

export type ActionLimits = Schemas["ActionLimits"];
export type ActionLimitsList = Schemas["ActionLimitsList"];
export type ActionRate = Schemas["RateLimit"];
export type ActionLimitsBody = Schemas["LimitsBody"];
