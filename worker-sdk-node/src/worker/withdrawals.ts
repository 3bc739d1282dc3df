/**
 * What the control topic said: the jobIds the orchestrator withdrew (kept 24 h from the Cancel's
 * `at`, like the topic's retention), and the attempts running in this process, to cancel them.
 */

import type { Attempt } from "./attempt.js";
import { type Clock, systemClock } from "./clock.js";

export const WITHDRAWAL_TTL_MS = 24 * 60 * 60 * 1_000;

export class Withdrawals {
  /** jobId -> expiry (epoch ms), in insertion order (about the order of `at`). */
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly ttlMs = WITHDRAWAL_TTL_MS,
  ) {}

  get size(): number {
    return this.expiries.size;
  }

  /** Records a Cancel of `jobId` written at `at` (ignored once older than the TTL). */
  add(jobId: string, at: number): void {
    const now = this.clock.now();
    const expires = Math.max(at + this.ttlMs, this.expiries.get(jobId) ?? 0);
    if (expires <= now) return;
    this.expiries.delete(jobId);
    this.expiries.set(jobId, expires);
    this.prune(now);
  }

  has(jobId: string): boolean {
    if (this.expiries.size === 0) return false;
    const expires = this.expiries.get(jobId);
    if (expires === undefined) return false;
    if (expires > this.clock.now()) return true;
    this.expiries.delete(jobId);
    return false;
  }

  /** Drops expired entries from the oldest end (stops at the first live one). */
  private prune(now: number): void {
    for (const [jobId, expires] of this.expiries) {
      if (expires > now) return;
      this.expiries.delete(jobId);
    }
  }
}

/** The attempts whose handler runs in this process, by jobId. */
export class RunningAttempts {
  private readonly byJob = new Map<string, Attempt | Attempt[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(attempt: Attempt): void {
    const id = attempt.job.jobId;
    const current = this.byJob.get(id);
    if (current === undefined) this.byJob.set(id, attempt);
    else if (Array.isArray(current)) current.push(attempt);
    else this.byJob.set(id, [current, attempt]);
    this.count++;
  }

  delete(attempt: Attempt): void {
    const id = attempt.job.jobId;
    const current = this.byJob.get(id);
    if (current === attempt) this.byJob.delete(id);
    else if (Array.isArray(current)) {
      const index = current.indexOf(attempt);
      if (index < 0) return;
      current.splice(index, 1);
      if (current.length === 0) this.byJob.delete(id);
    } else return;
    this.count--;
  }

  /** Cancels the running attempts of `jobId`; returns how many were signalled. */
  cancel(jobId: string, reason: string): number {
    const current = this.byJob.get(jobId);
    if (current === undefined) return 0;
    const attempts = Array.isArray(current) ? current : [current];
    return attempts.filter((attempt) => attempt.cancel(reason)).length;
  }

  /**
   * A Cancel for `jobId` was read: withdraws its running attempts (signalled, no more Progress,
   * offset done; see Attempt.withdraw). Returns how many were signalled.
   */
  withdraw(jobId: string, reason: string): number {
    const current = this.byJob.get(jobId);
    if (current === undefined) return 0;
    const attempts = Array.isArray(current) ? [...current] : [current];
    return attempts.filter((attempt) => attempt.withdraw(reason)).length;
  }

  /** Gives up on every attempt still running (the shutdown grace is over); returns how many. */
  releaseAll(): number {
    let released = 0;
    for (const attempt of this.all()) if (attempt.release()) released++;
    return released;
  }

  private all(): Attempt[] {
    return [...this.byJob.values()].flatMap((current) =>
      Array.isArray(current) ? [...current] : [current],
    );
  }

  /** Cancels every running attempt (the worker's shutdown). */
  cancelAll(reason: string): number {
    let signalled = 0;
    for (const current of this.byJob.values()) {
      for (const attempt of Array.isArray(current) ? current : [current]) {
        if (attempt.cancel(reason)) signalled++;
      }
    }
    return signalled;
  }
}
