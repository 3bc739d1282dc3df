/** The message types, as the plain objects the Avro codec reads and writes (schemas/v1, v2). */

export interface Failure {
  type: string;
  message: string;
  nonRetryable: boolean;
  details: string | null;
  stackTrace: string | null;
}

/** One attempt of one step (Job v2; a v1 Job decodes with the v2 fields null). */
export interface Job {
  jobId: string;
  runId: string;
  stepId: string;
  attempt: number;
  action: string;
  payload: string;
  workflowId: string;
  workflowVersion: number;
  queue: string;
  traceparent?: string | null;
  correlationId?: string | null;
  createdAt: number;
  /** Start-by time (epoch ms): a worker never starts the attempt at or after it. */
  deadlineAt?: number | null;
  /** How long one execution may run from its start (v2). */
  startToCloseMs?: number | null;
  /** Set: STARTED at once, and the attempt is dead without Progress for this long (v2). */
  heartbeatTimeoutMs?: number | null;
  /** JSON text of the last heartbeat details of an earlier attempt (v2). */
  lastHeartbeatDetails?: string | null;
}

export type ResultStatus = "COMPLETED" | "FAILED";

export interface Result {
  jobId: string;
  runId: string;
  stepId: string;
  attempt: number;
  action: string;
  status: ResultStatus;
  output: string | null;
  failure: Failure | null;
  workerId: string;
  sdk: string;
  traceparent?: string | null;
  correlationId?: string | null;
  startedAt: number;
  finishedAt: number;
}

export type ProgressKind = "STARTED" | "HEARTBEAT" | "SKIPPED";

/** Why a worker skipped an attempt (Progress SKIPPED). */
export type SkipReason = "DeadlinePassed" | "Withdrawn";

/** What a worker reports about an attempt before its Result (v2, on the results topic). */
export interface Progress {
  jobId: string;
  runId: string;
  stepId: string;
  attempt: number;
  action: string;
  kind: ProgressKind;
  details?: string | null;
  reason?: string | null;
  workerId: string;
  sdk: string;
  startedAt: number;
  at: number;
}

/** The orchestrator withdrew an attempt (v2, on the control topic, keyed by jobId). */
export interface Cancel {
  jobId: string;
  runId: string;
  stepId: string;
  attempt: number;
  action: string;
  reason: string;
  message: string;
  at: number;
}
