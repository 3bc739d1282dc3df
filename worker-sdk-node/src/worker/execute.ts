/** Runs one decoded job through its handler and builds the Result (never throws). */

import type { Failure, Job, Result } from "../protocol/messages.js";
import { failureFrom, sdkFailure, serializeOutput, unknownActionFailure } from "./failure.js";

/** What a handler knows about the attempt it runs, besides its payload. */
export interface JobContext {
  jobId: string;
  runId: string;
  stepId: string;
  attempt: number;
  action: string;
  workflowId: string;
  workflowVersion: number;
  traceparent: string | null;
  correlationId: string | null;
  /** When the orchestrator will count this attempt as timed out (epoch ms), if it set one. */
  deadlineAt: number | null;
}

/** A step implementation: gets the step input (parsed JSON), returns its output (a JSON value). */
export type Handler<P = unknown> = (payload: P, context: JobContext) => unknown;

export interface ExecutionIdentity {
  workerId: string;
  sdk: string;
}

function contextOf(job: Job): JobContext {
  return {
    jobId: job.jobId,
    runId: job.runId,
    stepId: job.stepId,
    attempt: job.attempt,
    action: job.action,
    workflowId: job.workflowId,
    workflowVersion: job.workflowVersion,
    traceparent: job.traceparent ?? null,
    correlationId: job.correlationId ?? null,
    deadlineAt: job.deadlineAt ?? null,
  };
}

function resultOf(
  job: Job,
  identity: ExecutionIdentity,
  startedAt: number,
  outcome: { output: string } | { failure: Failure },
): Result {
  const completed = "output" in outcome;
  return {
    jobId: job.jobId,
    runId: job.runId,
    stepId: job.stepId,
    attempt: job.attempt,
    action: job.action,
    status: completed ? "COMPLETED" : "FAILED",
    output: completed ? outcome.output : null,
    failure: completed ? null : outcome.failure,
    workerId: identity.workerId,
    sdk: identity.sdk,
    traceparent: job.traceparent ?? null,
    correlationId: job.correlationId ?? null,
    startedAt,
    finishedAt: Date.now(),
  };
}

export async function executeJob(
  job: Job,
  handlers: ReadonlyMap<string, Handler>,
  identity: ExecutionIdentity,
): Promise<Result> {
  const startedAt = Date.now();
  const handler = handlers.get(job.action);
  if (handler === undefined) {
    return resultOf(job, identity, startedAt, { failure: unknownActionFailure(job.action) });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(job.payload);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const failure = sdkFailure("InvalidPayload", `the job payload is not valid JSON: ${reason}`);
    return resultOf(job, identity, startedAt, { failure });
  }
  let value: unknown;
  try {
    // Anything thrown counts, including non-Error values and a RangeError from deep recursion.
    value = await handler(payload, contextOf(job));
  } catch (error) {
    return resultOf(job, identity, startedAt, { failure: failureFrom(error) });
  }
  try {
    return resultOf(job, identity, startedAt, { output: serializeOutput(value) });
  } catch (error) {
    return resultOf(job, identity, startedAt, { failure: failureFrom(error) });
  }
}
