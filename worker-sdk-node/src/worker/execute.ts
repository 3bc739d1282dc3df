/** Runs one decoded job through its handler and builds the Result (never throws). */

import type { Failure, Job, Result } from "../protocol/messages.js";
import { Attempt, type ExecutionHooks, type ExecutionIdentity } from "./attempt.js";
import { type WallClock, systemClock } from "./clock.js";
import type { JobContext } from "./context.js";
import { failureFrom, sdkFailure, serializeOutput, unknownActionFailure } from "./failure.js";

export type { ExecutionIdentity, JobContext };

/**
 * A step implementation: gets the step input (parsed JSON), returns its output (a JSON value), or
 * a promise of it.
 */
export type Handler<P = unknown, R = unknown> = (
  payload: P,
  context: JobContext,
) => R | PromiseLike<R>;

/** The Result of `job`'s attempt, finished `finishedAt` (epoch ms). */
export function resultOf(
  job: Job,
  identity: ExecutionIdentity,
  startedAt: number,
  outcome: { output: string } | { failure: Failure },
  finishedAt: number,
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
    finishedAt,
  };
}

/**
 * Calls the job's handler and turns its outcome into a Result. `hooks` (default: an attempt
 * that reports nothing) hear when the handler starts and ends, and give it its context;
 * `clock` gives the Result's `startedAt` and `finishedAt`.
 */
export async function executeJob(
  job: Job,
  handlers: ReadonlyMap<string, Handler>,
  identity: ExecutionIdentity,
  hooks: ExecutionHooks = new Attempt(job, { identity, publishProgress: () => Promise.resolve() }),
  clock: WallClock = systemClock,
): Promise<Result> {
  const startedAt = clock.now();
  const answer = (outcome: { output: string } | { failure: Failure }): Result =>
    resultOf(job, identity, startedAt, outcome, clock.now());
  const handler = handlers.get(job.action);
  if (handler === undefined) {
    return answer({ failure: unknownActionFailure(job.action) });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(job.payload);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const failure = sdkFailure("InvalidPayload", `the job payload is not valid JSON: ${reason}`);
    return answer({ failure });
  }
  let result: Result;
  try {
    // Anything thrown counts, including non-Error values and a RangeError from deep recursion.
    const value = await handler(payload, hooks.begin(startedAt));
    result = answer({ output: serializeOutput(value) });
  } catch (error) {
    result = answer({ failure: failureFrom(error) });
  }
  hooks.end(result.status === "FAILED");
  return result;
}
