/** The two message types, as the plain objects the Avro codec reads and writes. */

export interface Failure {
  type: string;
  message: string;
  nonRetryable: boolean;
  details: string | null;
  stackTrace: string | null;
}

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
  deadlineAt?: number | null;
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
