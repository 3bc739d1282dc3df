/**
 * One consumer per registered action: group `<groupPrefix>.<action>` on `<jobsTopic>.<action>`.
 * Reads jobs, runs them under the process-wide concurrency limit, publishes each outcome and
 * stores the offset once Kafka acknowledged it; stored offsets are committed every second.
 */

import type { Message, MessagesStream } from "@platformatic/kafka";
import type { Logger } from "../logging.js";
import { DecodeError, decodeJob, encodeResult } from "../protocol/codec.js";
import type { Job } from "../protocol/messages.js";
import { jobTopic, jobsDltTopic, workerGroup } from "../protocol/topics.js";
import type { Settings } from "../settings.js";
import { deadLetter } from "./dead-letter.js";
import { type ExecutionIdentity, type Handler, executeJob } from "./execute.js";
import { type RawConsumer, createConsumer } from "./kafka.js";
import type { Limiter } from "./limiter.js";
import { MessageReader } from "./message-reader.js";
import { type Ticket, OffsetTracker } from "./offsets.js";
import type { Publisher } from "./publisher.js";

const COMMIT_INTERVAL_MS = 1_000;

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type RawStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

export interface ActionConsumerDeps {
  settings: Settings;
  handlers: ReadonlyMap<string, Handler>;
  limiter: Limiter;
  publisher: Publisher;
  identity: ExecutionIdentity;
  logger: Logger;
  /** Called once if the consumer dies (its stream failed); the worker then stops. */
  onFatal: (error: Error) => void;
}

export class ActionConsumer {
  readonly topic: string;
  readonly groupId: string;
  private readonly offsets = new OffsetTracker();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly fetching = new AbortController();
  private consumer: RawConsumer | undefined;
  private stream: RawStream | undefined;
  private loop: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    readonly action: string,
    private readonly deps: ActionConsumerDeps,
  ) {
    this.topic = jobTopic(deps.settings.jobsTopic, action);
    this.groupId = workerGroup(deps.settings.groupPrefix, action);
  }

  async start(): Promise<void> {
    const consumer = createConsumer(this.deps.settings, this.groupId);
    this.consumer = consumer;
    consumer.on("consumer:group:join", () => {
      // Partitions may have moved: unfinished work is redelivered from the committed offsets.
      const pending = this.offsets.pendingCommits();
      this.offsets.reset();
      if (pending.length > 0) void this.commit(pending);
    });
    this.stream = await consumer.consume({
      topics: [this.topic],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
    });
    this.stream.on("error", (error: Error) => {
      if (!this.fetching.signal.aborted) this.deps.onFatal(error);
    });
    this.loop = this.pull(this.stream);
    this.commitTimer = setInterval(() => void this.commit(), COMMIT_INTERVAL_MS);
    this.deps.logger.info("consuming", {
      action: this.action,
      topic: this.topic,
      group: this.groupId,
    });
  }

  /** Stops fetching; resolves when the in-flight jobs finished or `deadline` fired. */
  async drain(deadline: Promise<void>): Promise<void> {
    this.fetching.abort();
    await this.loop;
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
  }

  /** Commits the stored offsets and leaves the group. */
  async close(): Promise<void> {
    clearInterval(this.commitTimer);
    this.fetching.abort();
    await this.commit();
    try {
      await this.stream?.close();
    } finally {
      await this.consumer?.close(true);
    }
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  private async pull(stream: RawStream): Promise<void> {
    const signal = this.fetching.signal;
    const reader = new MessageReader<RawMessage>(stream);
    while (!signal.aborted) {
      const message = await reader.next(signal);
      if (message === undefined) return;
      if (!(await this.deps.limiter.acquire(signal))) return;
      const ticket = this.offsets.track(message.topic, message.partition, message.offset);
      const task = this.process(message, ticket).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
    }
  }

  /** Runs one message; holds one limiter slot (acquired by the caller) while its handler runs. */
  private async process(message: RawMessage, ticket: Ticket): Promise<void> {
    let slotHeld = true;
    const releaseSlot = (): void => {
      if (slotHeld) this.deps.limiter.release();
      slotHeld = false;
    };
    try {
      let job: Job;
      try {
        job = decodeJob(message.value);
      } catch (error) {
        releaseSlot();
        if (!(error instanceof DecodeError)) throw error;
        await this.deadLetter(message, error);
        ticket.finish();
        return;
      }
      const result = await executeJob(job, this.deps.handlers, this.deps.identity);
      releaseSlot();
      await this.deps.publisher.publish({
        topic: this.deps.settings.resultsTopic,
        key: Buffer.from(job.runId, "utf8"),
        value: encodeResult(result),
      });
      ticket.finish();
    } catch (error) {
      // Nothing stored: the job is redelivered after a restart or rebalance.
      this.deps.logger.error("job outcome not delivered; its offset stays unstored", {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        error,
      });
    } finally {
      releaseSlot();
    }
  }

  private async deadLetter(message: RawMessage, error: DecodeError): Promise<void> {
    const { settings } = this.deps;
    this.deps.logger.warning("undecodable job sent to the DLT", {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      reason: error.message,
    });
    await this.deps.publisher.publish(
      deadLetter(message, error, jobsDltTopic(settings.jobsTopic), settings.workerId),
    );
  }

  private commit(positions = this.offsets.pendingCommits()): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || positions.length === 0) return this.committing;
    this.committing = this.committing.then(async () => {
      try {
        await consumer.commit({
          offsets: positions.map((position) => ({ ...position, leaderEpoch: -1 })),
        });
        this.offsets.markCommitted(positions);
      } catch (error) {
        this.deps.logger.warning("offset commit failed; will retry", {
          group: this.groupId,
          error,
        });
      }
    });
    return this.committing;
  }
}
