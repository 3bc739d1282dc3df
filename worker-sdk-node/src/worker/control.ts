/**
 * Reads the control topic (docs/protocol.md, item 11): every partition, assigned by this worker
 * itself (no consumer group, no commits), from the beginning. `start()` resolves once the reader
 * has reached the end offsets it found when it started, so the worker knows every withdrawal
 * before it starts a job; then it keeps tailing (long-polling fetches) until closed. Each Cancel
 * goes to `onCancel`. A missing topic is waited for; Kafka outages are ridden out with backoff;
 * an authorization or authentication error is fatal.
 */

import { WorkerFatalError } from "../errors.js";
import type { Logger } from "../logging.js";
import { DecodeError, decodeCancel } from "../protocol/codec.js";
import type { Cancel } from "../protocol/messages.js";
import { ThrottledWarning, backoffMs, delay } from "./backoff.js";
import { type ClientBase, type RawConsumer, createStandaloneConsumer } from "./kafka.js";
import { hasKafkaError, isFatalKafkaError } from "./kafka-errors.js";

type FetchResponse = Awaited<ReturnType<RawConsumer["fetch"]>>;

const EARLIEST = -2n;
const LATEST = -1n;
const FETCH_WAIT_MS = 500;
const PARTITION_MAX_BYTES = 1_048_576;
const CONTROL_BATCH = 0x20;

export interface ControlReaderOptions {
  base: ClientBase;
  topic: string;
  logger: Logger;
  onCancel: (cancel: Cancel) => void;
  onFatal: (error: WorkerFatalError) => void;
}

class TopicMissingError extends Error {}

export class ControlReader {
  private consumer: RawConsumer | undefined;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  /** partition -> next offset to read. */
  private readonly positions = new Map<number, bigint>();
  /** partition -> end offset found at start (the catch-up target). */
  private target: Map<number, bigint> | undefined;
  private caughtUp = false;
  private onCaughtUp: (() => void) | undefined;
  private readonly warnings: ThrottledWarning;
  private read = 0;

  constructor(private readonly options: ControlReaderOptions) {
    this.warnings = new ThrottledWarning(options.logger);
  }

  /** Resolves once caught up with the topic's end offsets at start (or once closed). */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve) => (this.onCaughtUp = resolve));
    this.loop = this.run();
    void this.loop.finally(() => this.onCaughtUp?.());
    return ready;
  }

  /** Cancel records read so far. */
  get recordsRead(): number {
    return this.read;
  }

  async close(): Promise<void> {
    this.stopping.abort();
    // Closing the client ends a fetch that is waiting for records.
    const consumer = this.consumer;
    this.consumer = undefined;
    await closeConsumer(consumer);
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    for (let failures = 0; !signal.aborted;) {
      try {
        await this.poll();
        if (failures > 0) this.options.logger.info("control topic reachable again");
        failures = 0;
        this.warnings.reset();
      } catch (error) {
        if (signal.aborted) return;
        if (isFatalKafkaError(error)) {
          this.options.onFatal(
            new WorkerFatalError(`the control topic ${this.options.topic} was refused by Kafka`, {
              cause: error,
            }),
          );
          return;
        }
        failures++;
        this.options.logger.debug("control topic read failed", {
          topic: this.options.topic,
          error: error instanceof Error ? error : new Error(String(error)),
        });
        let failure: unknown = error;
        if (hasKafkaError(error, "OFFSET_OUT_OF_RANGE")) {
          // Records expired under us (retention): go on from what is left.
          try {
            await this.refreshPositions(true);
            continue;
          } catch (refreshError) {
            failure = refreshError; // warned and retried with backoff, like any read failure
          }
        }
        // A topic this worker just created may be unknown to the broker's metadata for a moment.
        if (!(failure instanceof TopicMissingError && failures === 1)) {
          this.warnings.warn(
            failure instanceof TopicMissingError
              ? "waiting for the control topic to exist"
              : "cannot read the control topic; retrying",
            {
              topic: this.options.topic,
              error: failure instanceof Error ? failure : new Error(String(failure)),
            },
          );
        }
        await this.replaceConsumer();
        await delay(backoffMs(failures), signal);
      }
    }
  }

  /** One round: positions known, one fetch per leader, records handed over. */
  private async poll(): Promise<void> {
    const consumer = this.client();
    const metadata = await this.metadata(consumer);
    if (this.target === undefined) {
      await this.refreshPositions(false);
      this.target = await this.offsets(LATEST);
      this.options.logger.debug("reading the control topic", {
        topic: this.options.topic,
        partitions: this.target.size,
      });
    }
    if (!this.caughtUp) this.checkCaughtUp();
    const byLeader = new Map<number, number[]>();
    for (const [partition, info] of metadata.partitions.entries()) {
      if (!this.positions.has(partition)) await this.refreshPositions(false);
      const list = byLeader.get(info.leader) ?? [];
      list.push(partition);
      byLeader.set(info.leader, list);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        const response = await consumer.fetch({
          node: leader,
          maxWaitTime: this.caughtUp ? FETCH_WAIT_MS : 0,
          topics: [
            {
              topicId: metadata.id,
              partitions: partitions.map((partition) => ({
                partition,
                fetchOffset: this.positions.get(partition) ?? 0n,
                partitionMaxBytes: PARTITION_MAX_BYTES,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              })),
            },
          ],
        });
        this.accept(response);
      }),
    );
    if (!this.caughtUp) this.checkCaughtUp();
  }

  private async metadata(
    consumer: RawConsumer,
  ): Promise<{ id: string; partitions: { leader: number }[] }> {
    try {
      const cluster = await consumer.metadata({ topics: [this.options.topic] });
      const topic = cluster.topics.get(this.options.topic);
      if (topic === undefined || topic.partitionsCount === 0) {
        throw new TopicMissingError(`topic ${this.options.topic} does not exist`);
      }
      return { id: topic.id, partitions: topic.partitions };
    } catch (error) {
      if (
        hasKafkaError(error, "UNKNOWN_TOPIC_OR_PARTITION") ||
        (error instanceof Error && /Unknown topic/i.test(error.message))
      ) {
        throw new TopicMissingError(`topic ${this.options.topic} does not exist`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Starts unknown partitions at their earliest offset; `reset` also moves positions that fell out of range. */
  private async refreshPositions(reset: boolean): Promise<void> {
    const earliest = await this.offsets(EARLIEST);
    const latest = reset ? await this.offsets(LATEST) : undefined;
    for (const [partition, offset] of earliest) {
      const position = this.positions.get(partition);
      const end = latest?.get(partition);
      if (position === undefined || position < offset || (end !== undefined && position > end)) {
        this.positions.set(partition, offset);
      }
    }
  }

  private async offsets(timestamp: bigint): Promise<Map<number, bigint>> {
    const consumer = this.client();
    const listed = await consumer.listOffsets({ topics: [this.options.topic], timestamp });
    const offsets = new Map<number, bigint>();
    (listed.get(this.options.topic) ?? []).forEach((offset, partition) =>
      offsets.set(partition, offset),
    );
    return offsets;
  }

  private accept(response: FetchResponse): void {
    for (const topic of response.responses) {
      for (const { partitionIndex: partition, records } of topic.partitions) {
        let position = this.positions.get(partition) ?? 0n;
        for (const batch of records ?? []) {
          if ((batch.attributes & CONTROL_BATCH) === 0) {
            for (const record of batch.records) {
              const offset = batch.firstOffset + BigInt(record.offsetDelta);
              if (offset >= position) this.handle(record.value, partition, offset);
            }
          }
          const next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (next > position) position = next;
        }
        this.positions.set(partition, position);
      }
    }
  }

  private handle(value: Buffer | null, partition: number, offset: bigint): void {
    let cancel: Cancel;
    try {
      cancel = decodeCancel(value);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.options.logger.warning("ignoring an undecodable control record", {
        topic: this.options.topic,
        partition,
        offset,
        reason: error.message,
      });
      return;
    }
    this.read++;
    this.options.onCancel(cancel);
  }

  private checkCaughtUp(): void {
    const target = this.target;
    if (target === undefined) return;
    for (const [partition, end] of target) {
      if ((this.positions.get(partition) ?? 0n) < end) return;
    }
    this.caughtUp = true;
    this.options.logger.info("control topic read", {
      topic: this.options.topic,
      cancels: this.read,
    });
    this.onCaughtUp?.();
  }

  /** The Kafka client, created on first use (never again once closing). */
  private client(): RawConsumer {
    if (this.stopping.signal.aborted) throw new Error("the control reader is closed");
    this.consumer ??= createStandaloneConsumer(this.options.base, "control");
    return this.consumer;
  }

  private async replaceConsumer(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await closeConsumer(consumer);
  }
}

function closeConsumer(consumer: RawConsumer | undefined): Promise<void> {
  if (consumer === undefined) return Promise.resolve();
  return new Promise((resolve) => consumer.close(true, () => resolve()));
}
