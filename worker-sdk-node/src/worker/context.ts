/** The JobContext a handler gets: the attempt's ids and limits, heartbeat() and cancellation. */

import { SerializationError } from "../errors.js";
import type { Job } from "../protocol/messages.js";
import { strictJson } from "./failure.js";

/** Largest JSON text of heartbeat details, in UTF-8 bytes (docs/protocol.md, item 13). */
export const MAX_HEARTBEAT_DETAILS_BYTES = 65_536;

/** What a handler knows about the attempt it runs, besides its payload. */
export interface JobContext {
  readonly jobId: string;
  readonly runId: string;
  readonly stepId: string;
  /** 1 for the first execution, 2 for the first retry, ... */
  readonly attempt: number;
  readonly action: string;
  readonly workflowId: string;
  readonly workflowVersion: number;
  readonly traceparent: string | null;
  readonly correlationId: string | null;
  /** Start-by time (epoch ms) the orchestrator set, if any (the handler started before it). */
  readonly deadlineAt: number | null;
  /** How long this execution may run; `signal` aborts (StartToCloseTimeout) when it is over. */
  readonly startToCloseMs: number | null;
  /** Set: the orchestrator counts the attempt dead without a heartbeat for this long. */
  readonly heartbeatTimeoutMs: number | null;
  /**
   * The last heartbeat details an earlier attempt of this step reported (parsed JSON), so a
   * retry can resume from its progress; null when there are none (or they are not valid JSON).
   */
  readonly lastHeartbeatDetails: unknown;
  /** Aborts when the attempt is cancelled; its `reason` is a AttemptCancelled. */
  readonly signal: AbortSignal;
  /** Why the attempt was cancelled (RunCancelled, StartToCloseTimeout, WorkerShutdown, ...), or null. */
  readonly cancelReason: string | null;
  /**
   * Says the handler is alive, with optional progress details (any JSON value; without details
   * the latest ones given are kept). Cheap and non-blocking: calls are coalesced into at most one
   * Progress record per interval. Throws SerializationError (a TypeError) when `details` has no
   * strict JSON form or its JSON text is over 65,536 bytes.
   */
  heartbeat(details?: unknown): void;
}

/** What the context needs from the running attempt. */
export interface AttemptControl {
  readonly signal: AbortSignal;
  readonly cancelReason: string | null;
  beat(details: string | undefined): void;
}

/** JSON text of heartbeat details, checked (strict JSON, at most 65,536 bytes). */
export function heartbeatDetailsText(details: unknown): string {
  const text = strictJson(details, "heartbeat details");
  if (text.length * 3 > MAX_HEARTBEAT_DETAILS_BYTES) {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > MAX_HEARTBEAT_DETAILS_BYTES) {
      throw new SerializationError(
        `heartbeat details are ${bytes} bytes of JSON text, over the limit of ${MAX_HEARTBEAT_DETAILS_BYTES} bytes`,
      );
    }
  }
  return text;
}

/** The parsed lastHeartbeatDetails of a job: null when absent or not valid JSON. */
export function parseDetails(text: string | null | undefined): unknown {
  if (text == null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export class AttemptContext implements JobContext {
  readonly jobId: string;
  readonly runId: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly action: string;
  readonly workflowId: string;
  readonly workflowVersion: number;
  readonly traceparent: string | null;
  readonly correlationId: string | null;
  readonly deadlineAt: number | null;
  readonly startToCloseMs: number | null;
  readonly heartbeatTimeoutMs: number | null;
  private parsedDetails: unknown;
  private detailsParsed = false;

  constructor(
    private readonly job: Job,
    private readonly control: AttemptControl,
  ) {
    this.jobId = job.jobId;
    this.runId = job.runId;
    this.stepId = job.stepId;
    this.attempt = job.attempt;
    this.action = job.action;
    this.workflowId = job.workflowId;
    this.workflowVersion = job.workflowVersion;
    this.traceparent = job.traceparent ?? null;
    this.correlationId = job.correlationId ?? null;
    this.deadlineAt = job.deadlineAt ?? null;
    this.startToCloseMs = job.startToCloseMs ?? null;
    this.heartbeatTimeoutMs = job.heartbeatTimeoutMs ?? null;
  }

  get lastHeartbeatDetails(): unknown {
    if (!this.detailsParsed) {
      this.parsedDetails = parseDetails(this.job.lastHeartbeatDetails);
      this.detailsParsed = true;
    }
    return this.parsedDetails;
  }

  get signal(): AbortSignal {
    return this.control.signal;
  }

  get cancelReason(): string | null {
    return this.control.cancelReason;
  }

  /** An arrow function, so `const { heartbeat } = context` works too. */
  readonly heartbeat = (details?: unknown): void => {
    this.control.beat(details === undefined ? undefined : heartbeatDetailsText(details));
  };

  /** Plain fields for console.log / JSON (getters included). */
  toJSON(): Record<string, unknown> {
    return {
      jobId: this.jobId,
      runId: this.runId,
      stepId: this.stepId,
      attempt: this.attempt,
      action: this.action,
      workflowId: this.workflowId,
      workflowVersion: this.workflowVersion,
      traceparent: this.traceparent,
      correlationId: this.correlationId,
      deadlineAt: this.deadlineAt,
      startToCloseMs: this.startToCloseMs,
      heartbeatTimeoutMs: this.heartbeatTimeoutMs,
      lastHeartbeatDetails: this.lastHeartbeatDetails,
      cancelReason: this.cancelReason,
    };
  }
}
