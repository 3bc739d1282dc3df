/**
 * The Legato API client: define workflows, trigger and await runs, signal and operate them, list
 * runs and follow their event streams. Every request is retried only when repeating it is safe
 * (transport.ts); a trigger always carries an Idempotency-Key (a new UUID when none is given),
 * so the client's own retries can never start two runs.
 */

import { randomUUID } from "node:crypto";
import { type ClientConfig, type ClientOptions, clientConfig } from "./config.js";
import { AwaitTimeout, RunCancelled, RunFailed } from "./errors.js";
import { runEvents } from "./event-stream.js";
import {
  type AwaitOptions,
  type DefinitionAnswer,
  type EventsOptions,
  type Run,
  type RunChange,
  type RunEvent,
  RunHandle,
  type RunOperations,
  type RunStatus,
  type RunSummary,
  type SignalSent,
  runFrom,
} from "./run.js";
import { Transport } from "./transport.js";

export interface TriggerOptions {
  /** Runs with the same key (per workflow) are one run; default: a new UUID per call. */
  idempotencyKey?: string;
  /** 1 (highest) .. 5; default: the workflow's. */
  priority?: number;
}

export interface SignalOptions {
  /** The signal's id within the run: the same id twice is one signal, so the call is retried. */
  signalId?: string;
}

export interface ListRunsOptions {
  workflowId?: string;
  status?: RunStatus | RunStatus[];
  /** At most this many runs in all (default: every matching run). */
  limit?: number;
  /** Runs per request (1-500, default 100). */
  pageSize?: number;
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 500;

/** A workflow definition: a builder `Workflow` (anything with toJSON()) or a plain JSON object. */
export type DefinitionBody = { toJSON(): unknown } | Record<string, unknown>;

type Operation = "cancel" | "retry" | "pause" | "resume";

export class Client implements RunOperations {
  private readonly transport: Transport;

  constructor(options: ClientOptions = {}) {
    this.transport = new Transport(clientConfig(options));
  }

  get config(): Readonly<ClientConfig> {
    return this.transport.config;
  }

  /** POST /workflow/: a changed body makes a new version. */
  define(workflow: DefinitionBody): Promise<DefinitionAnswer> {
    return this.transport.json({
      method: "POST",
      path: "/workflow/",
      body: workflow,
      idempotent: true,
    });
  }

  /** Starts a run of `workflowId` with `input` (default null). */
  async trigger(
    workflowId: string,
    input: unknown = null,
    options: TriggerOptions = {},
  ): Promise<RunHandle> {
    const body: Record<string, unknown> = { input };
    if (options.priority !== undefined) body["priority"] = options.priority;
    const answer = await this.transport.json<{ runId: string }>({
      method: "POST",
      path: `/workflow/${segment(workflowId)}/trigger`,
      body,
      headers: { "Idempotency-Key": options.idempotencyKey ?? randomUUID() },
      idempotent: true,
      retryConflict: true,
    });
    return new RunHandle(answer.runId, this);
  }

  /** A handle on a run by id (no request). */
  run(runId: string): RunHandle {
    return new RunHandle(runId, this);
  }

  async get(runId: string): Promise<Run> {
    return runFrom(
      await this.transport.json({ method: "GET", path: runPath(runId), idempotent: true }),
    );
  }

  /**
   * Awaits the run through its event stream: its output once COMPLETED; rejects with RunFailed,
   * RunCancelled, or AwaitTimeout after `timeoutSeconds` (the run goes on).
   */
  async result<T = unknown>(runId: string, options: AwaitOptions = {}): Promise<T> {
    const { timeoutSeconds, signal: callerSignal } = options;
    const timeout =
      timeoutSeconds === undefined ? undefined : AbortSignal.timeout(timeoutSeconds * 1000);
    const signals = [callerSignal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    let run: Run;
    try {
      const stream = runEvents(this.transport, runId, { signal });
      while (!(await stream.next()).done);
      run = runFrom(
        await this.transport.json({
          method: "GET",
          path: runPath(runId),
          idempotent: true,
          signal,
        }),
      );
    } catch (error) {
      if (timeout?.aborted && !callerSignal?.aborted) {
        throw new AwaitTimeout(runId, timeoutSeconds ?? 0);
      }
      throw error;
    }
    if (run.status === "FAILED") throw new RunFailed(run);
    if (run.status === "CANCELLED") throw new RunCancelled(run);
    return run.output as T;
  }

  /** The run's history events after `after`, live, ending once the run has ended. */
  events(runId: string, options: EventsOptions = {}): AsyncIterable<RunEvent> {
    return runEvents(this.transport, runId, options);
  }

  /** Sends the run a signal; repeated on connection errors only with a `signalId`. */
  signal(
    runId: string,
    name: string,
    payload: unknown = null,
    options: SignalOptions = {},
  ): Promise<SignalSent> {
    const body: Record<string, unknown> = { payload };
    if (options.signalId !== undefined) body["signalId"] = options.signalId;
    return this.transport.json({
      method: "POST",
      path: `${runPath(runId)}/signal/${segment(name)}`,
      body,
      idempotent: options.signalId !== undefined,
    });
  }

  cancel(runId: string): Promise<RunChange> {
    return this.operate(runId, "cancel");
  }

  retry(runId: string): Promise<RunChange> {
    return this.operate(runId, "retry");
  }

  pause(runId: string): Promise<RunChange> {
    return this.operate(runId, "pause");
  }

  resume(runId: string): Promise<RunChange> {
    return this.operate(runId, "resume");
  }

  /** Runs, newest first, across pages of GET /workflow/runs, up to `limit` in all. */
  async *listRuns(options: ListRunsOptions = {}): AsyncGenerator<RunSummary, void, undefined> {
    let remaining = options.limit ?? Infinity;
    const pageSize = Math.min(options.pageSize ?? DEFAULT_PAGE, MAX_PAGE);
    let cursor: string | null = null;
    while (remaining > 0) {
      const query = new URLSearchParams({ limit: String(Math.min(pageSize, remaining)) });
      if (options.workflowId !== undefined) query.set("workflowId", options.workflowId);
      if (options.status !== undefined) query.set("status", [options.status].flat().join(","));
      if (cursor !== null) query.set("cursor", cursor);
      const page = await this.transport.json<{ runs: RunSummary[]; nextCursor: string | null }>({
        method: "GET",
        path: "/workflow/runs",
        query,
        idempotent: true,
      });
      for (const run of page.runs.slice(0, remaining)) yield run;
      remaining -= page.runs.length;
      cursor = page.nextCursor;
      if (cursor === null) return;
    }
  }

  private operate(runId: string, operation: Operation): Promise<RunChange> {
    return this.transport.json({
      method: "POST",
      path: `${runPath(runId)}/${operation}`,
      idempotent: false,
    });
  }
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

function runPath(runId: string): string {
  return `/workflow/run/${segment(runId)}`;
}
