// Shapes of the public REST API (README "HTTP API", /openapi.json and docs of issue 12).

export const RUN_STATUSES = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface ErrorSummary {
  stepId?: string | null;
  type?: string | null;
  message?: string | null;
}

export interface RunSummary {
  runId: string;
  workflowId: string;
  version: number;
  status: string;
  createdAt: string | null;
  endedAt: string | null;
  correlationId?: string | null;
  idempotencyKey?: string | null;
  error?: ErrorSummary | null;
}

export interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

export interface LiveAttempt {
  jobId: string;
  state: "queued" | "running";
  startedAt: string | null;
  heartbeatAt: string | null;
  progress: unknown;
  workerId: string | null;
  deadline: { at: string | null; kind: string } | null;
}

export interface RunStep {
  id: string;
  action: string | null;
  status: string;
  attempts: number;
  input: unknown;
  output: unknown;
  error: unknown;
  startedAt: string | null;
  endedAt: string | null;
  wakeAt?: string;
  items?: { total: number; completed: number };
  liveAttempt?: LiveAttempt;
}

export interface Run {
  runId: string;
  workflowId: string;
  version: number;
  status: string;
  input: unknown;
  output: unknown;
  error: unknown;
  correlationId: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  endedAt: string | null;
  steps: RunStep[];
}

export interface RunEvent {
  id: number;
  at: string | null;
  type: string;
  stepId: string | null;
  attempt: number | null;
  data: unknown;
}

export interface Attempt {
  jobId: string;
  stepId: string;
  item: number | null;
  attempt: number;
  state: string;
  createdAt: string | null;
  dispatchedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  workerId: string | null;
  deadlineKind: string | null;
  requeues: number;
}

export interface StepWait {
  stepId: string;
  wakeAt: string | null;
  startedAt?: string | null;
  endedAt?: string | null;
}

export interface AttemptPage {
  attempts: Attempt[];
  waits?: StepWait[];
  nextCursor?: string | null;
}

export interface BulkResult {
  matched: number;
  changed: number;
  dryRun: boolean;
  runIds: string[];
  /** The filter matches more runs than `limit`: run the action again for the rest. */
  more?: boolean;
}

export interface DefinitionStep {
  id?: string;
  action?: string;
  stepIndex?: number;
  dependsOn?: string[];
  forEach?: string;
  wait?: unknown;
  when?: string;
  [key: string]: unknown;
}

export interface Definition {
  id: string;
  version: number;
  steps: DefinitionStep[];
  createdAt: string | null;
}

export interface WorkflowStats {
  workflowId: string;
  started: number;
  completed: number;
  failed: number;
  running: number;
  failureRate: number | null;
}

export interface WorkerMember {
  clientId: string;
  host: string;
  language?: string | null;
  workerId?: string | null;
}

export interface ActionWorkers {
  group: string;
  state: string;
  workers: WorkerMember[];
  lag?: number | null;
  languages?: string[];
  queuedJobs?: number;
  openJobs?: number;
}

export interface ActionWithoutWorker {
  action: string;
  lag?: number | null;
  queuedJobs?: number;
  openJobs?: number;
}

export interface WorkersResponse {
  actions: Record<string, ActionWorkers>;
  noWorker?: ActionWithoutWorker[];
  lagError?: string | null;
}

export interface DeadLetter {
  id: string;
  runId: string;
  stepId: string;
  item: number | null;
  workflowId: string;
  version: number;
  action: string;
  attempt: number;
  reason: string | null;
  errorType: string | null;
  errorMessage: string | null;
  deadAt: string | null;
  replayedAt: string | null;
}

export interface DeadLetterDetail extends DeadLetter {
  headers: Record<string, string | null> | [string, string | null][] | null;
  payload: unknown;
}

export interface DeadLetterPage {
  deadLetters: DeadLetter[];
  nextCursor: string | null;
}

export interface ReplayResult {
  matched: number;
  replayed: number;
  dryRun: boolean;
  results: unknown[];
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface OverviewMinute {
  at: string;
  runsStarted: number;
  runsFinished: number;
  stepsCompleted: number;
  stepsFailed: number;
}

/** GET /stats/overview; latency percentiles are in seconds. */
export interface Overview {
  windowSeconds?: number;
  stepWindowSeconds?: number;
  minutes: OverviewMinute[];
  latency?: { sampled?: number; executionSeconds?: Percentiles; queueSeconds?: Percentiles };
}

export interface Session {
  authRequired: boolean;
  name?: string | null;
  scope?: string | null;
  csrfToken?: string | null;
}
