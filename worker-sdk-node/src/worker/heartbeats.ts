/**
 * When an attempt reports Progress (docs/protocol.md, items 13-14), independent of Kafka:
 *
 * - `STARTED` at once when the job has a heartbeat timeout, else once the handler has run
 *   LAZY_START_MS, or at its first heartbeat() (then carrying its details);
 * - the first heartbeat() goes out at once; later ones are coalesced: at most one `HEARTBEAT` per
 *   interval, always with the latest details. A record never goes out while the previous one is
 *   unacknowledged (so they reach Kafka in order); one held back that way goes out at the
 *   acknowledgement, and the next is due an interval after the time it was due, so a slow
 *   acknowledgement does not stretch the rhythm;
 * - when the handler ends: after a failure, details given but not sent yet go out at once (so the
 *   retry resumes from them); after a success they are dropped. Nothing is sent afterwards;
 * - `silence()` (the attempt was withdrawn): nothing more is sent, a pending heartbeat is dropped.
 *
 * Pacing is measured on the clock's monotonic time.
 */

import type { Clock, TimerHandle } from "./clock.js";

export const LAZY_START_MS = 1_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
export const MIN_HEARTBEAT_INTERVAL_MS = 100;

/** `heartbeatTimeoutMs / 3` (at least 100 ms) when the job sets a heartbeat timeout, else 10 s. */
export function heartbeatInterval(heartbeatTimeoutMs: number | null | undefined): number {
  if (heartbeatTimeoutMs == null) return DEFAULT_HEARTBEAT_INTERVAL_MS;
  return Math.max(MIN_HEARTBEAT_INTERVAL_MS, Math.floor(heartbeatTimeoutMs / 3));
}

export type ReportedKind = "STARTED" | "HEARTBEAT";

/** Hands one Progress record to Kafka; resolves once it is acknowledged. */
export type SendProgress = (kind: ReportedKind, details: string | null) => Promise<void>;

export class ProgressReporter {
  private started = false;
  private startAcked = false;
  /** The latest details given (JSON text), null until heartbeat() gave some. */
  private details: string | null = null;
  /** heartbeat() was called since the last record went out. */
  private pending = false;
  /** When the first heartbeat() call since the last record was made (monotonic ms). */
  private pendingSince = 0;
  private beaten = false;
  private inFlight = false;
  /** When the last record was due (its send time, unless an acknowledgement held it back;
   * monotonic ms). */
  private lastDueAt = 0;
  private startTimer: TimerHandle | undefined;
  private beatTimer: TimerHandle | undefined;
  private ended = false;

  constructor(
    private readonly interval: number,
    private readonly send: SendProgress,
    private readonly clock: Clock,
    /** Called once, when STARTED is acknowledged. */
    private readonly onStartedAcked: () => void = () => undefined,
  ) {}

  /** True once STARTED was handed to Kafka. */
  get hasStarted(): boolean {
    return this.started;
  }

  /** True once STARTED was acknowledged. */
  get startAcknowledged(): boolean {
    return this.startAcked;
  }

  /** The handler starts now: STARTED at once when `eager`, else after LAZY_START_MS. */
  begin(eager: boolean): void {
    if (eager) {
      this.sendRecord("STARTED");
      return;
    }
    this.startTimer = this.clock.setTimeout(() => {
      this.startTimer = undefined;
      if (!this.started && !this.ended) this.sendRecord("STARTED");
    }, LAZY_START_MS);
  }

  /** A heartbeat() call; `details` is JSON text, or undefined to keep the latest ones. */
  beat(details: string | undefined): void {
    if (this.ended) return;
    if (details !== undefined) this.details = details;
    if (!this.started) {
      this.clearStartTimer();
      this.beaten = true;
      this.sendRecord("STARTED");
      return;
    }
    if (!this.pending) this.pendingSince = this.clock.monotonic();
    this.pending = true;
    this.schedule();
  }

  /** The handler ended (`failed`: its Result is FAILED). Stops every timer. */
  end(failed: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.clearStartTimer();
    if (this.beatTimer !== undefined) this.clock.clearTimeout(this.beatTimer);
    this.beatTimer = undefined;
    if (failed && this.pending) this.sendRecord("HEARTBEAT");
    this.pending = false;
  }

  /** Sends nothing more (a pending heartbeat and a STARTED not sent yet are dropped). */
  silence(): void {
    this.end(false);
  }

  private schedule(): void {
    if (!this.pending || this.inFlight || this.beatTimer !== undefined || this.ended) return;
    const due = this.beaten
      ? Math.max(this.pendingSince, this.lastDueAt + this.interval)
      : this.pendingSince;
    const wait = due - this.clock.monotonic();
    if (wait <= 0) {
      this.beaten = true;
      this.sendRecord("HEARTBEAT", due);
      return;
    }
    this.beatTimer = this.clock.setTimeout(() => {
      this.beatTimer = undefined;
      this.schedule();
    }, wait);
  }

  private sendRecord(kind: ReportedKind, due = this.clock.monotonic()): void {
    if (kind === "STARTED") this.started = true;
    this.pending = false;
    this.inFlight = true;
    this.lastDueAt = due;
    const acknowledged = (): void => {
      this.inFlight = false;
      if (kind === "STARTED" && !this.startAcked) {
        this.startAcked = true;
        this.onStartedAcked();
      }
      this.schedule();
    };
    // A rejection means the worker is stopping (closed or fatal producer): nothing to retry here.
    this.send(kind, this.details).then(acknowledged, () => (this.inFlight = false));
  }

  private clearStartTimer(): void {
    if (this.startTimer !== undefined) this.clock.clearTimeout(this.startTimer);
    this.startTimer = undefined;
  }
}
