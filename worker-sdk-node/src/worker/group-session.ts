/**
 * One Kafka consumer of one action's group, for as long as it stays healthy. It hands out only
 * messages of the current group generation: after a rebalance it drops what it had buffered,
 * opens a fresh stream (positions read again from the committed offsets, so no stale fetch can
 * move them) and starts a new offset tracker, so jobs of revoked partitions that are still
 * running never store or commit anything. When the consumer breaks (a fetch failed for good, a
 * rejoin failed, the membership lapsed after a failed commit: MembershipWatch), `failure` says why
 * and the ActionConsumer replaces the whole session.
 * For the consumer watch it tells which partitions it holds, the next offset it hands out in
 * each, and their latest offsets fresh from the broker.
 * Every PARTITIONS_CHECK_MS it asks the broker how many partitions its topic has: the client never
 * rejoins for a partition count that changed, so a session that sees one fails and the
 * ActionConsumer's new session joins again, and the group is assigned every partition
 * (docs/protocol.md "Worker behaviour"; librdkafka and the Java client do this themselves).
 */

import { performance } from "node:perf_hooks";
import type { Message, MessagesStream } from "@platformatic/kafka";
import type { Logger } from "../logging.js";
import type { Settings } from "../settings.js";
import { within } from "./backoff.js";
import { type ClientBase, type RawConsumer, createConsumer } from "./kafka.js";
import { MembershipWatch } from "./membership-watch.js";
import { MessageReader } from "./message-reader.js";
import { OffsetTracker, type Ticket } from "./offsets.js";

export type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type RawStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/** A message and the stream epoch it was read in (see GroupSession.isCurrent). */
export interface Taken {
  message: RawMessage;
  epoch: number;
}

interface StreamState {
  stream: RawStream;
  reader: MessageReader<RawMessage>;
  stop: AbortController;
  epoch: number;
  generation: number;
  /** partition -> the offset after the last message handed out in this generation. */
  handedOut: Map<number, bigint>;
  /** Messages handed out in this generation. */
  count: number;
}

/** What the session holds now (GroupSession.holding). */
export interface Holding {
  /** Changes with every group generation of the session (a rebalance). */
  epoch: number;
  /**
   * Each partition held, with the next offset the session hands out: the one after the last
   * message it handed out in this generation, else the position it started from (the group's
   * committed offset), else undefined (not known yet).
   */
  next: Map<number, bigint | undefined>;
  /** Messages handed out in this generation so far. */
  received: number;
}

const CLOSE_TIMEOUT_MS = 5_000;
/** How often the topic's partition count is asked for: the other SDKs' metadata refresh. */
export const PARTITIONS_CHECK_MS = 10_000;
const LATEST = -1n;

export class GroupSession {
  private consumer: RawConsumer | undefined;
  private current: StreamState | undefined;
  private tracker = new OffsetTracker();
  private epoch = 0;
  /** A rebalance started: take nothing new until the next generation's stream is open. */
  private revoking = false;
  private swapping: Promise<void> | undefined;
  private swapAgain = false;
  private failed: Error | undefined;
  private closed = false;
  private waiters: (() => void)[] = [];
  private committing: Promise<void> = Promise.resolve();
  private readonly membership: MembershipWatch;
  /** The topic's partition count when the current generation began (undefined: not known yet). */
  private partitions: number | undefined;
  private partitionsTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly base: ClientBase,
    private readonly settings: Settings,
    readonly topic: string,
    readonly groupId: string,
    private readonly logger: Logger,
  ) {
    this.membership = new MembershipWatch(settings.sessionTimeoutMs);
  }

  /** Why the session broke, once it did. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** Joins the group and opens the first stream; rejects if Kafka cannot be reached. */
  async open(): Promise<void> {
    const consumer = createConsumer(this.base, this.settings, this.groupId);
    this.consumer = consumer;
    consumer.on("error", (error: Error) => this.fail(error));
    consumer.on("consumer:group:rebalance", () => this.onRebalance());
    consumer.on("consumer:group:join", () => this.onJoin());
    const alive = (): void => this.membership.alive();
    consumer.on("consumer:heartbeat:end", alive);
    consumer.on("consumer:heartbeat:error", alive);
    this.current = await this.openStream(consumer);
    this.partitions = await this.partitionCount().catch(() => undefined);
    this.partitionsTimer = setInterval(() => void this.checkPartitions(), PARTITIONS_CHECK_MS);
    this.partitionsTimer.unref();
  }

  /** The next message of the current generation, or undefined once broken or `signal` aborted. */
  async next(signal: AbortSignal): Promise<Taken | undefined> {
    for (;;) {
      if (signal.aborted || this.failed !== undefined || this.closed) return undefined;
      const state = this.current;
      if (state === undefined || this.revoking) {
        await this.changed(signal);
        continue;
      }
      const message = await state.reader.next(AbortSignal.any([signal, state.stop.signal]));
      if (message !== undefined) {
        if (this.current === state) {
          state.handedOut.set(message.partition, message.offset + 1n);
          state.count++;
        }
        return { message, epoch: state.epoch };
      }
      if (this.current === state && !state.stop.signal.aborted && !signal.aborted) {
        this.fail(new Error(`the consumer stream of ${this.topic} ended`));
      }
    }
  }

  /** True while `taken` still belongs to the current generation and its partition is ours. */
  isCurrent(taken: Taken): boolean {
    const state = this.current;
    if (state === undefined || this.revoking || this.failed !== undefined) return false;
    if (taken.epoch !== state.epoch || this.consumer?.generationId !== state.generation) {
      return false;
    }
    const { topic, partition } = taken.message;
    return (
      this.consumer?.assignments?.some(
        (a) => a.topic === topic && a.partitions.includes(partition),
      ) ?? false
    );
  }

  /** Starts tracking a message that is about to run (call right after isCurrent()). */
  track(message: RawMessage): Ticket {
    return this.tracker.track(message.topic, message.partition, message.offset);
  }

  inFlight(): number {
    return this.tracker.inFlight();
  }

  /** The partitions held now and where they stand; undefined while a rebalance is under way. */
  holding(): Holding | undefined {
    const { consumer, current: state } = this;
    if (consumer === undefined || state === undefined) return undefined;
    if (this.revoking || this.failed !== undefined || this.closed) return undefined;
    if (consumer.generationId !== state.generation) return undefined;
    const held = consumer.assignments?.find((a) => a.topic === this.topic)?.partitions ?? [];
    const next = new Map<number, bigint | undefined>();
    for (const partition of held) {
      next.set(
        partition,
        state.handedOut.get(partition) ??
          state.stream.offsetsCommitted.get(`${this.topic}:${partition}`),
      );
    }
    return { epoch: state.epoch, next, received: state.count };
  }

  /** The latest offsets of `partitions`, asked of their leaders now (not fetch metadata). */
  async endOffsets(partitions: readonly number[]): Promise<Map<number, bigint>> {
    const consumer = this.consumer;
    if (consumer === undefined || this.closed) throw new Error("the consumer session is closed");
    const listed = await consumer.listOffsets({
      topics: [this.topic],
      partitions: { [this.topic]: [...partitions] },
      timestamp: LATEST,
    });
    const latest = listed.get(this.topic) ?? [];
    const ends = new Map<number, bigint>();
    for (const partition of partitions) {
      const end = latest[partition];
      if (end !== undefined) ends.set(partition, end);
    }
    return ends;
  }

  /** Commits the offsets stored in the current generation (never those of an older one). */
  commit(): Promise<void> {
    this.committing = this.committing.then(() => this.commitNow());
    return this.committing;
  }

  /** Commits what is stored, then leaves the group (bounded in time: Kafka may be down). */
  async close(commit: boolean): Promise<void> {
    if (commit && this.failed === undefined) await within(this.commit(), CLOSE_TIMEOUT_MS);
    this.closed = true;
    clearInterval(this.partitionsTimer);
    this.tracker.reset(); // the tickets of jobs still running hold nothing now
    this.wake();
    const state = this.current;
    this.current = undefined;
    state?.stop.abort();
    const consumer = this.consumer;
    const closing = (async () => {
      await state?.stream.close().catch(() => undefined);
      if (consumer !== undefined) {
        await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
      }
    })();
    await within(closing, CLOSE_TIMEOUT_MS);
  }

  private async commitNow(): Promise<void> {
    const consumer = this.consumer;
    const state = this.current;
    if (consumer === undefined || state === undefined || this.failed !== undefined) return;
    if (this.membershipLapsed()) return;
    if (consumer.generationId !== state.generation) return;
    const tracker = this.tracker;
    const positions = tracker.pendingCommits();
    if (positions.length === 0) return;
    try {
      await consumer.commit({
        offsets: positions.map((position) => ({ ...position, leaderEpoch: -1 })),
      });
      tracker.markCommitted(positions);
    } catch (error) {
      this.membership.commitFailed(performance.now());
      this.logger.warning("offset commit failed; will retry", { group: this.groupId, error });
    }
  }

  /** Fails the session once its membership lapsed after a failed commit (MembershipWatch). */
  private membershipLapsed(): boolean {
    const silent = this.membership.lapsed(performance.now());
    if (silent === undefined) return false;
    this.fail(
      new Error(
        `the consumer of group ${this.groupId} lost its membership: no heartbeat for ` +
          `${Math.round(silent)} ms since an offset commit failed`,
      ),
    );
    return true;
  }

  private async openStream(consumer: RawConsumer): Promise<StreamState> {
    const stream = await consumer.consume({
      topics: [this.topic],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
    });
    const state: StreamState = {
      stream,
      reader: new MessageReader<RawMessage>(stream),
      stop: new AbortController(),
      epoch: ++this.epoch,
      generation: consumer.generationId,
      handedOut: new Map(),
      count: 0,
    };
    stream.on("error", (error: Error) => {
      if (this.current === state && !state.stop.signal.aborted) this.fail(error);
    });
    return state;
  }

  private onRebalance(): void {
    if (this.revoking || this.closed) return;
    // Store what is done while this generation is still valid; then take nothing new.
    void this.commit();
    this.revoking = true;
  }

  private onJoin(): void {
    this.membership.alive();
    if (this.closed || this.failed !== undefined || this.current === undefined) return;
    if (this.consumer?.generationId === this.current.generation && !this.revoking) return;
    if (this.swapping !== undefined) {
      this.swapAgain = true;
      return;
    }
    this.swapping = this.swap().finally(() => (this.swapping = undefined));
  }

  /** A new generation: drop the old stream, its buffer and tracker; open a fresh stream. */
  private async swap(): Promise<void> {
    const consumer = this.consumer;
    const old = this.current;
    if (consumer === undefined || old === undefined) return;
    this.revoking = true;
    this.tracker.reset(); // the old generation's tickets hold nothing now
    this.tracker = new OffsetTracker();
    try {
      do {
        this.swapAgain = false;
        // The new stream first: closing the last stream of a topic would leave the group.
        const next = await this.openStream(consumer);
        const previous = this.current;
        this.current = next;
        if (previous !== undefined) {
          previous.stop.abort();
          void previous.stream.close().catch(() => undefined);
        }
      } while (this.swapAgain && !this.closed);
      this.partitions = await this.partitionCount().catch(() => undefined);
      this.revoking = false;
      this.logger.debug("new group generation", {
        group: this.groupId,
        generation: consumer.generationId,
      });
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.wake();
    }
  }

  /** The topic's partition count, asked of the cluster now (not the client's cached metadata). */
  private async partitionCount(): Promise<number | undefined> {
    const consumer = this.consumer;
    if (consumer === undefined) return undefined;
    const metadata = await consumer.metadata({ topics: [this.topic], forceUpdate: true });
    return metadata.topics.get(this.topic)?.partitionsCount;
  }

  /** Fails the session when the topic's partition count is no longer the one it joined with. */
  private async checkPartitions(): Promise<void> {
    if (this.closed || this.failed !== undefined || this.revoking) return;
    let count: number | undefined;
    try {
      count = await this.partitionCount();
    } catch (error) {
      this.logger.debug("partition count unavailable", { topic: this.topic, error });
      return;
    }
    if (count === undefined || this.revoking || this.failed !== undefined) return;
    const known = this.partitions;
    this.partitions = count;
    if (known === undefined || known === count) return;
    this.fail(
      new Error(
        `${this.topic} now has ${count} partitions (${known} when the group formed): joining again`,
      ),
    );
  }

  private fail(error: Error): void {
    if (this.closed) return;
    clearInterval(this.partitionsTimer);
    this.failed ??= error;
    this.current?.stop.abort();
    this.wake();
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
