/**
 * The stall rule of one action's consumer (the consumer watch, issue 26 item 2; the same rule in
 * every SDK): records wait in its assigned partitions, a handler slot is free, and nothing was
 * fetched for LEGATO_STALL_TIMEOUT_MS. Fed one observation per check, it says when the consumer
 * becomes stalled and when it fetches again. Pure: no Kafka, no logging, time from an injected
 * monotonic clock.
 */

import { performance } from "node:perf_hooks";

/** Milliseconds from a monotonic clock. */
export type MonotonicClock = () => number;

/** What a check changed. */
export type WatchChange = "none" | "stalled" | "recovered";

/** What the consumer saw at one check. */
export interface WatchObservation {
  /** Records in the assigned partitions not fetched yet: sum of max(0, end - next). */
  behind: number;
  /** The next offset the consumer hands out, per assigned partition whose position is known. */
  positions: ReadonlyMap<number, bigint>;
  /** A record was received since the previous check. */
  received: boolean;
  /** Every handler slot is busy: records wait on purpose, not a stall. */
  heldBack: boolean;
}

const MAX_INTERVAL_MS = 5_000;

/** How often the consumer checks: min(5 s, timeout / 3); 5 s when the timeout is 0 (off). */
export function watchIntervalMs(stallTimeoutMs: number): number {
  if (stallTimeoutMs <= 0) return MAX_INTERVAL_MS;
  return Math.min(MAX_INTERVAL_MS, Math.ceil(stallTimeoutMs / 3));
}

export class StallWatch {
  private previousPositions: ReadonlyMap<number, bigint> | undefined;
  private previousCheck: number | undefined;
  private since: number | undefined;
  private stalledFrom: number | undefined;
  private lastStallMs = 0;
  private observedAt = 0;

  /** `timeoutMs` 0: never stalled. */
  constructor(
    private readonly timeoutMs: number,
    private readonly now: MonotonicClock = () => performance.now(),
  ) {
    if (!(timeoutMs >= 0)) throw new RangeError("the stall timeout must be at least 0");
  }

  get stalled(): boolean {
    return this.stalledFrom !== undefined;
  }

  /** One check: whether the consumer became stalled, recovered, or neither. */
  observe(observation: WatchObservation): WatchChange {
    const now = this.now();
    this.observedAt = now;
    const { behind, positions, received, heldBack } = observation;
    const progress =
      received ||
      (this.previousPositions !== undefined && !samePositions(this.previousPositions, positions));
    const last = this.previousCheck ?? now;
    this.previousPositions = new Map(positions);
    this.previousCheck = now;
    if (this.timeoutMs > 0 && behind > 0 && !progress && !heldBack) {
      this.since ??= last;
      if (this.stalledFrom === undefined && now - this.since >= this.timeoutMs) {
        this.stalledFrom = this.since;
        return "stalled";
      }
      return "none";
    }
    this.since = undefined;
    if (this.stalledFrom !== undefined) {
      this.lastStallMs = now - this.stalledFrom;
      this.stalledFrom = undefined;
      return "recovered";
    }
    return "none";
  }

  /** The partitions moved (a rebalance): what was seen before says nothing about them. */
  reset(): void {
    this.previousPositions = undefined;
    this.previousCheck = undefined;
    this.since = undefined;
  }

  /**
   * Whole seconds without progress, as of the last check: of the stall going on, or of the last
   * one once it recovered.
   */
  stallSeconds(): number {
    const ms =
      this.stalledFrom === undefined ? this.lastStallMs : this.observedAt - this.stalledFrom;
    return Math.floor(ms / 1000);
  }
}

function samePositions(a: ReadonlyMap<number, bigint>, b: ReadonlyMap<number, bigint>): boolean {
  if (a.size !== b.size) return false;
  for (const [partition, offset] of a) {
    if (b.get(partition) !== offset) return false;
  }
  return true;
}

/** The WARN line of a stall (the same text in every SDK). */
export function stallMessage(
  action: string,
  behind: number,
  partitions: readonly string[],
  seconds: number,
): string {
  return (
    `action '${action}': ${behind} record(s) wait in assigned partition(s) ` +
    `${partitions.join(", ")} but none was fetched for ${seconds} s; ` +
    "the consumer is not making progress"
  );
}

/** The INFO line when a stalled consumer fetches again. */
export function recoveryMessage(action: string, seconds: number): string {
  return `action '${action}': fetching again after ${seconds} s`;
}
