/**
 * The consumer watch of one action (issue 26 item 2). Every WATCH_INTERVAL, on the action
 * consumer's own loop (never per message), it asks the broker for the latest offsets of the
 * partitions the consumer holds, compares them with the next offset the consumer hands out,
 * sets legato_worker_records_behind, and feeds the stall rule (watch.ts): a consumer that makes
 * no progress while records wait and a slot is free gets one WARN line and a stall counted; one
 * INFO line when it fetches again. A failed or slow query skips the check (DEBUG), never more.
 */

import type { Logger } from "../logging.js";
import type { WorkerMetrics } from "../observability/metrics.js";
import { delay } from "./backoff.js";
import type { Holding } from "./group-session.js";
import type { Limiter } from "./limiter.js";
import {
  type MonotonicClock,
  StallWatch,
  recoveryMessage,
  stallMessage,
  watchIntervalMs,
} from "./watch.js";

/** At most this long for the latest-offsets query; the check is skipped after it. */
const QUERY_TIMEOUT_MS = 5_000;

/** What the watch reads of the consumer's session (GroupSession). */
export interface WatchedSession {
  holding(): Holding | undefined;
  endOffsets(partitions: readonly number[]): Promise<Map<number, bigint>>;
}

export interface ConsumerWatchDeps {
  action: string;
  topic: string;
  /** LEGATO_STALL_TIMEOUT_MS (0: never stalled; records behind still kept). */
  stallTimeoutMs: number;
  /** The process's handler slots: all busy means records wait on purpose. */
  limiter: Limiter;
  metrics: WorkerMetrics;
  logger: Logger;
  /** The consumer's session now; undefined while it reconnects. */
  session: () => WatchedSession | undefined;
  clock?: MonotonicClock;
}

export class ConsumerWatch {
  readonly intervalMs: number;
  private readonly rule: StallWatch;
  /** The session and generation of the previous check, and what it had handed out by then. */
  private seen: { session: WatchedSession; epoch: number; received: number } | undefined;

  constructor(private readonly deps: ConsumerWatchDeps) {
    this.intervalMs = watchIntervalMs(deps.stallTimeoutMs);
    this.rule = new StallWatch(deps.stallTimeoutMs, deps.clock);
  }

  get stalled(): boolean {
    return this.rule.stalled;
  }

  /** Checks every interval until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await delay(this.intervalMs, signal);
      if (signal.aborted) return;
      try {
        await this.check(signal);
      } catch (error) {
        // A watch must never take the consumer down.
        this.deps.logger.warning("consumer watch: check failed", {
          action: this.deps.action,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    }
  }

  /** One check (exposed for tests). */
  async check(signal?: AbortSignal): Promise<void> {
    const { action, metrics } = this.deps;
    const session = this.deps.session();
    const before = session?.holding();
    if (session === undefined || before === undefined) {
      // Reconnecting or rebalancing: nothing is held right now.
      metrics.recordsBehind(action, 0);
      return;
    }
    const ends = await this.endOffsets(session, [...before.next.keys()], signal);
    if (ends === undefined || signal?.aborted === true) return;
    const holding = session.holding();
    if (holding === undefined || holding.epoch !== before.epoch) return; // rebalanced meanwhile
    this.observe(session, holding, ends);
  }

  private observe(session: WatchedSession, holding: Holding, ends: Map<number, bigint>): void {
    const { action, topic, metrics, logger, limiter } = this.deps;
    if (this.seen?.session !== session || this.seen.epoch !== holding.epoch) {
      this.rule.reset();
      this.seen = { session, epoch: holding.epoch, received: 0 };
    }
    const received = holding.received > this.seen.received;
    this.seen.received = holding.received;
    let behind = 0;
    const positions = new Map<number, bigint>();
    const waiting: number[] = [];
    for (const [partition, next] of holding.next) {
      const end = ends.get(partition);
      if (next === undefined || end === undefined) continue;
      positions.set(partition, next);
      if (end > next) {
        behind += Number(end - next);
        waiting.push(partition);
      }
    }
    metrics.recordsBehind(action, behind);
    const change = this.rule.observe({
      behind,
      positions,
      received,
      heldBack: limiter.running >= limiter.limit,
    });
    if (change === "stalled") {
      const partitions = waiting.sort((a, b) => a - b).map((p) => `${topic}-${p}`);
      logger.warning(stallMessage(action, behind, partitions, this.rule.stallSeconds()));
      metrics.stalled(action, true);
    } else if (change === "recovered") {
      logger.info(recoveryMessage(action, this.rule.stallSeconds()));
      metrics.stalled(action, false);
    }
  }

  /** The latest offsets, or undefined when the query failed, took too long or was aborted. */
  private async endOffsets(
    session: WatchedSession,
    partitions: number[],
    signal: AbortSignal | undefined,
  ): Promise<Map<number, bigint> | undefined> {
    if (partitions.length === 0) return new Map();
    const settled = new AbortController();
    const cutOff = AbortSignal.any(
      signal === undefined ? [settled.signal] : [signal, settled.signal],
    );
    try {
      const ends = await Promise.race([
        session.endOffsets(partitions),
        delay(QUERY_TIMEOUT_MS, cutOff).then(() => undefined),
      ]);
      if (ends === undefined && signal?.aborted !== true) {
        this.skipped(new Error(`no answer within ${QUERY_TIMEOUT_MS} ms`));
      }
      return ends;
    } catch (error) {
      if (signal?.aborted !== true) this.skipped(error);
      return undefined;
    } finally {
      settled.abort();
    }
  }

  private skipped(error: unknown): void {
    this.deps.logger.debug("consumer watch: listing the latest offsets failed; check skipped", {
      action: this.deps.action,
      error: error instanceof Error ? error : new Error(String(error)),
    });
  }
}
