/**
 * One execution of a job in this worker: its handler context, its Progress records and its
 * cancellation (a Cancel record, startToCloseMs elapsing, or the worker's shutdown).
 *
 * Two ways the worker stops caring about a handler that is still running:
 * - `withdraw()`: a Cancel was read for it. The handler is signalled, no more Progress goes out
 *   for it and its offset counts as done at once (`onWithdrawn`); its Result still goes out when
 *   it ends (the orchestrator ignores it as late).
 * - `release()`: the worker's shutdown grace is over. `released` resolves and the handler's later
 *   outcome is discarded. An attempt cancelled with WorkerShutdown (`answeredAtRelease`) sends
 *   its heartbeat details not sent yet now, nothing after, and the worker answers its job itself
 *   (FAILED WorkerShutdown); any other (withdrawn, or cancelled by its startToClose before the
 *   shutdown) sends nothing more.
 */

import { AttemptCancelled } from "../errors.js";
import type { Job, Progress, ProgressKind, SkipReason } from "../protocol/messages.js";
import { type Clock, type TimerHandle, systemClock } from "./clock.js";
import { AttemptContext, type AttemptControl, type JobContext } from "./context.js";
import { WORKER_SHUTDOWN } from "./failure.js";
import { ProgressReporter, heartbeatInterval } from "./heartbeats.js";

export interface ExecutionIdentity {
  workerId: string;
  sdk: string;
}

/** What executeJob tells the attempt around the handler call. */
export interface ExecutionHooks {
  /** The handler is called right after this, at `startedAt`; returns its context. */
  begin(startedAt: number): JobContext;
  /** The handler settled; `failed`: the Result is FAILED. */
  end(failed: boolean): void;
}

export interface AttemptOptions {
  identity: ExecutionIdentity;
  /** Produces one Progress record; resolves once Kafka acknowledged it. */
  publishProgress: (progress: Progress) => Promise<void>;
  /** STARTED was acknowledged (heartbeating attempts store their offset then). */
  onStartedAcked?: () => void;
  /** The attempt was withdrawn while its handler ran: its offset counts as done now. */
  onWithdrawn?: () => void;
  clock?: Clock;
}

export function progressOf(
  job: Job,
  identity: ExecutionIdentity,
  kind: ProgressKind,
  fields: { startedAt: number; at: number; details?: string | null; reason?: SkipReason | null },
): Progress {
  return {
    jobId: job.jobId,
    runId: job.runId,
    stepId: job.stepId,
    attempt: job.attempt,
    action: job.action,
    kind,
    details: fields.details ?? null,
    reason: fields.reason ?? null,
    workerId: identity.workerId,
    sdk: identity.sdk,
    startedAt: fields.startedAt,
    at: fields.at,
  };
}

export class Attempt implements ExecutionHooks, AttemptControl {
  private controller: AbortController | undefined;
  private reason: string | null = null;
  private ended = false;
  private withdrawn = false;
  private startTime = 0;
  private markReleased: (() => void) | undefined;
  /** Resolves once `release()` gave up on the handler. */
  readonly released: Promise<void>;
  private readonly onWithdrawn: (() => void) | undefined;
  private closeTimer: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly reporter: ProgressReporter;

  constructor(
    readonly job: Job,
    options: AttemptOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.onWithdrawn = options.onWithdrawn;
    this.released = new Promise((resolve) => (this.markReleased = resolve));
    const { identity, publishProgress } = options;
    this.reporter = new ProgressReporter(
      heartbeatInterval(job.heartbeatTimeoutMs),
      (kind, details) =>
        publishProgress(
          progressOf(job, identity, kind, {
            startedAt: this.startTime,
            at: this.clock.now(),
            details,
          }),
        ),
      this.clock,
      options.onStartedAcked,
    );
  }

  begin(startedAt: number): JobContext {
    this.startTime = startedAt;
    this.reporter.begin(this.job.heartbeatTimeoutMs != null);
    const limit = this.job.startToCloseMs;
    if (limit != null) {
      this.closeTimer = this.clock.setTimeout(() => this.cancel("StartToCloseTimeout"), limit);
    }
    return new AttemptContext(this.job, this);
  }

  end(failed: boolean): void {
    this.ended = true;
    this.stopCloseTimer();
    this.reporter.end(failed);
  }

  /**
   * A Cancel for this attempt was read while its handler runs: no more Progress for it (a
   * pending heartbeat is dropped), its offset counts as done (`onWithdrawn`), and the handler is
   * signalled with `reason` (unless it was cancelled before). True if it was signalled now.
   */
  withdraw(reason: string): boolean {
    if (this.ended) return false;
    if (!this.withdrawn) {
      this.withdrawn = true;
      this.reporter.silence();
      this.onWithdrawn?.();
    }
    return this.cancel(reason);
  }

  /**
   * Gives up on a handler still running (the shutdown grace is over): `released` resolves.
   * Heartbeat details given and not sent yet go out now if `answeredAtRelease`; nothing after.
   * False if the handler had already ended.
   */
  release(): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.stopCloseTimer();
    this.reporter.end(this.answeredAtRelease);
    this.markReleased?.();
    return true;
  }

  /**
   * The worker answers this attempt itself (FAILED WorkerShutdown) if it gives up on it at
   * shutdown: it was cancelled with WorkerShutdown (not by a Cancel, nor by its startToClose
   * before the shutdown).
   */
  get answeredAtRelease(): boolean {
    return this.reason === WORKER_SHUTDOWN && !this.withdrawn;
  }

  /** When the handler started (epoch ms, the worker's clock); 0 before it did. */
  get startedAt(): number {
    return this.startTime;
  }

  /** A Cancel was read for the attempt while its handler ran. */
  get isWithdrawn(): boolean {
    return this.withdrawn;
  }

  private stopCloseTimer(): void {
    if (this.closeTimer !== undefined) this.clock.clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
  }

  /** Signals cancellation to the handler (once; not after it ended). True if it did. */
  cancel(reason: string): boolean {
    if (this.reason !== null || this.ended) return false;
    this.reason = reason;
    this.controller?.abort(new AttemptCancelled(reason));
    return true;
  }

  /** Created on first use, so attempts whose handler never looks at it cost nothing. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== null) this.controller.abort(new AttemptCancelled(this.reason));
    }
    return this.controller.signal;
  }

  get cancelReason(): string | null {
    return this.reason;
  }

  get isRunning(): boolean {
    return !this.ended;
  }

  beat(details: string | undefined): void {
    this.reporter.beat(details);
  }
}
