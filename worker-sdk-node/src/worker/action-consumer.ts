/**
 * One consumer per registered action: group `<groupPrefix>.<action>` on `<jobsTopic>.<action>`.
 * Takes a message only when a handler slot is free (the stream's buffer fills and fetching
 * pauses meanwhile, while the group heartbeat goes on), runs it, publishes its outcome and
 * stores the offset once Kafka acknowledged it; stored offsets are committed every second.
 * Kafka outages are ridden out: a broken consumer is replaced, with backoff, until the worker
 * stops; only an authorization or authentication error is fatal.
 */

import { WorkerFatalError } from "../errors.js";
import type { Logger } from "../logging.js";
import { DecodeError, decodeJob } from "../protocol/codec.js";
import type { Job, Result } from "../protocol/messages.js";
import { jobTopic, jobsDltTopic, workerGroup } from "../protocol/topics.js";
import type { Settings } from "../settings.js";
import { ThrottledWarning, backoffMs, delay } from "./backoff.js";
import { deadLetter } from "./dead-letter.js";
import { seal, tooLarge } from "./envelope.js";
import { type ExecutionIdentity, type Handler, executeJob } from "./execute.js";
import { GroupSession, type RawMessage } from "./group-session.js";
import type { ClientBase } from "./kafka.js";
import { isFatalKafkaError } from "./kafka-errors.js";
import type { Limiter } from "./limiter.js";
import type { Ticket } from "./offsets.js";
import { type Publisher, RecordTooLargeError } from "./publisher.js";

const COMMIT_INTERVAL_MS = 1_000;

export interface ActionConsumerDeps {
  settings: Settings;
  clientBase: ClientBase;
  handlers: ReadonlyMap<string, Handler>;
  limiter: Limiter;
  publisher: Publisher;
  identity: ExecutionIdentity;
  logger: Logger;
  /** Called if the consumer hits an error no retry can fix; the worker then stops. */
  onFatal: (error: WorkerFatalError) => void;
}

export class ActionConsumer {
  readonly topic: string;
  readonly groupId: string;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly fetching = new AbortController();
  private readonly warnings: ThrottledWarning;
  private session: GroupSession | undefined;
  private supervisor: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private markStarted: (() => void) | undefined;

  constructor(
    readonly action: string,
    private readonly deps: ActionConsumerDeps,
  ) {
    this.topic = jobTopic(deps.settings.jobsTopic, action);
    this.groupId = workerGroup(deps.settings.groupPrefix, action);
    this.warnings = new ThrottledWarning(deps.logger);
  }

  /** Starts consuming; resolves once the group is joined (or the worker stops meanwhile). */
  start(): Promise<void> {
    const started = new Promise<void>((resolve) => (this.markStarted = resolve));
    this.supervisor = this.supervise();
    void this.supervisor.finally(() => this.markStarted?.());
    this.commitTimer = setInterval(() => void this.session?.commit(), COMMIT_INTERVAL_MS);
    return started;
  }

  /** Stops fetching; resolves when the in-flight jobs finished or `deadline` fired. */
  async drain(deadline: Promise<void>): Promise<void> {
    this.fetching.abort();
    await this.supervisor;
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
  }

  /** Commits the stored offsets and leaves the group. */
  async close(): Promise<void> {
    clearInterval(this.commitTimer);
    this.fetching.abort();
    await this.supervisor;
    await this.session?.close(true);
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Keeps one healthy session: replaces a broken one with backoff until the worker stops. */
  private async supervise(): Promise<void> {
    const signal = this.fetching.signal;
    for (let failures = 0; !signal.aborted;) {
      const session = new GroupSession(
        this.deps.clientBase,
        this.deps.settings,
        this.topic,
        this.groupId,
        this.deps.logger,
      );
      let failure: unknown;
      try {
        await session.open();
        this.session = session;
        if (failures > 0) this.deps.logger.info("consumer reconnected", { group: this.groupId });
        failures = 0;
        this.warnings.reset();
        this.markStarted?.();
        this.deps.logger.info("consuming", {
          action: this.action,
          topic: this.topic,
          group: this.groupId,
        });
        await this.pull(session, signal);
        if (signal.aborted) return;
        failure = session.failure;
      } catch (error) {
        failure = error;
      }
      if (isFatalKafkaError(failure)) {
        await session.close(false);
        this.deps.onFatal(
          new WorkerFatalError(`the consumer of ${this.topic} was refused by Kafka`, {
            cause: failure,
          }),
        );
        return;
      }
      failures++;
      this.warnings.warn("Kafka consumer failed; reconnecting", {
        group: this.groupId,
        attempt: failures,
        error: failure instanceof Error ? failure : new Error(String(failure)),
      });
      if (this.session === session) this.session = undefined;
      await session.close(false);
      await delay(backoffMs(failures), signal);
    }
  }

  /** Takes messages while a handler slot is free and they belong to the current generation. */
  private async pull(session: GroupSession, signal: AbortSignal): Promise<void> {
    const { limiter } = this.deps;
    for (;;) {
      const taken = await session.next(signal);
      if (taken === undefined) return;
      if (!(await limiter.acquire(signal))) return;
      if (!session.isCurrent(taken)) {
        // Fetched before a rebalance (or its partition is no longer ours): the owner re-reads it.
        limiter.release();
        continue;
      }
      const ticket = session.track(taken.message);
      const task = this.process(taken.message, ticket).finally(() => this.inFlight.delete(task));
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
      await this.publishResult(result);
      ticket.finish();
    } catch (error) {
      // Nothing stored: the job is redelivered after a restart or rebalance, never re-run here.
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

  /** Publishes the result; one Kafka refuses as too large is answered by FAILED ResultTooLarge. */
  private async publishResult(result: Result): Promise<void> {
    const { settings, publisher } = this.deps;
    const key = Buffer.from(result.runId, "utf8");
    const topic = settings.resultsTopic;
    try {
      await publisher.publish({ topic, key, value: seal(result, settings.maxPayloadBytes) });
    } catch (error) {
      if (!(error instanceof RecordTooLargeError)) throw error;
      this.deps.logger.warning("Kafka refused a result as too large; sending ResultTooLarge", {
        jobId: result.jobId,
        error,
      });
      await publisher.publish({
        topic,
        key,
        value: seal(tooLarge(result), settings.maxPayloadBytes),
      });
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
}
