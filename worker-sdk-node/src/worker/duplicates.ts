/**
 * A job delivered twice runs once (docs/protocol.md, item 17). The orchestrator may publish a Job
 * record twice (its outbox re-publishes one whose publication it could not confirm), so the
 * worker remembers the jobIds it took: those in hand (from the check before the handler until the
 * copy's outcome is sent) and those whose copy ended within the last hour (at most 10,000, the
 * oldest forgotten first). Another copy of one of them is not started: no handler call, no
 * Progress, no Result. Its offset counts as done at once, since the copy in hand still holds its
 * partition's offset; a copy read again after a rebalance, when the copy in hand no longer holds
 * anything, is done once that copy's offset is (never committed past a job still running).
 */

import { type Clock, systemClock } from "./clock.js";
import type { Ticket } from "./offsets.js";

export const ENDED_JOBS_TTL_MS = 60 * 60 * 1_000;
export const ENDED_JOBS_MAX = 10_000;

/**
 * The copy of a job in hand: its offset ticket (`finish()` once its outcome is durable), and
 * `end()` once the worker is done with it.
 */
export class TakenJob implements Ticket {
  private finished = false;
  /** Tickets of copies read while this one no longer held its partition's offset. */
  private readonly waiting: Ticket[] = [];

  constructor(
    readonly jobId: string,
    private readonly ticket: Ticket,
    private readonly onEnd: (copy: TakenJob, finished: boolean) => void,
  ) {}

  finish(): void {
    this.finished = true;
    this.ticket.finish();
    for (const ticket of this.waiting.splice(0)) ticket.finish();
  }

  get holding(): boolean {
    return this.ticket.holding || this.waiting.some((ticket) => ticket.holding);
  }

  /** Another copy of the job was read: its offset is done at once, or once this one's is. */
  absorb(ticket: Ticket): void {
    if (this.finished || this.holding) ticket.finish();
    else this.waiting.push(ticket);
  }

  /**
   * The worker is done with the copy: its jobId is remembered as ended if its offset is done,
   * else forgotten (its outcome was not delivered: a redelivery must still answer it).
   */
  end(): void {
    this.onEnd(this, this.finished);
  }
}

/** The jobIds in hand and those ended lately, to not start a second copy (item 17). */
export class TakenJobs {
  private readonly inHand = new Map<string, TakenJob>();
  /** jobId -> when it is forgotten (monotonic ms), in the order they ended (so of expiry). */
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly ttlMs = ENDED_JOBS_TTL_MS,
    private readonly capacity = ENDED_JOBS_MAX,
  ) {}

  /** The jobIds remembered as ended (expired ones may still count until pruned). */
  get endedCount(): number {
    return this.ended.size;
  }

  /**
   * Takes the copy of `jobId` that `ticket` tracks, about to start. Undefined if it is a
   * duplicate (a copy of the job is in hand, or ended lately): it must not start, and its ticket
   * is finished, at once or once the offset of the copy in hand is done (TakenJob.absorb).
   */
  take(jobId: string, ticket: Ticket): TakenJob | undefined {
    const current = this.inHand.get(jobId);
    if (current !== undefined) {
      current.absorb(ticket);
      return undefined;
    }
    if (this.hasEnded(jobId)) {
      ticket.finish();
      return undefined;
    }
    const copy = new TakenJob(jobId, ticket, (ended, finished) => this.release(ended, finished));
    this.inHand.set(jobId, copy);
    return copy;
  }

  private hasEnded(jobId: string): boolean {
    const expires = this.ended.get(jobId);
    if (expires === undefined) return false;
    if (expires > this.clock.monotonic()) return true;
    this.ended.delete(jobId);
    return false;
  }

  private release(copy: TakenJob, finished: boolean): void {
    if (this.inHand.get(copy.jobId) !== copy) return;
    this.inHand.delete(copy.jobId);
    if (!finished) return;
    const now = this.clock.monotonic();
    this.ended.delete(copy.jobId);
    this.ended.set(copy.jobId, now + this.ttlMs);
    this.prune(now);
  }

  /** Drops expired entries from the oldest end, and the oldest beyond the capacity. */
  private prune(now: number): void {
    for (const [jobId, expires] of this.ended) {
      if (expires > now && this.ended.size <= this.capacity) return;
      this.ended.delete(jobId);
    }
  }
}
