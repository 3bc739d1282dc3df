/**
 * One consumer per registered action: group `<groupPrefix>.<action>` on `<jobsTopic>.<action>`.
 * Takes a message only when a handler slot is free (the stream's buffer fills and fetching
 * pauses meanwhile, while the group heartbeat goes on), drops it if it is another copy of a job
 * this worker has in hand or ended lately (nothing sent, its offset done: duplicates.ts), skips
 * it if it is stale (withdrawn, or its start-by deadline passed: Progress SKIPPED), else runs
 * it, publishes its outcome and stores the offset once Kafka acknowledged it (a heartbeating
 * attempt's once its STARTED is); stored offsets are committed every second. A job whose running
 * attempt is withdrawn (a Cancel) counts as done for its offset at once; one the shutdown
 * released (its handler still running when the grace ended) is answered FAILED WorkerShutdown by
 * the worker itself, and its offset is stored once that is acknowledged. A consumer watch
 * (consumer-watch.ts) checks at intervals that the consumer makes progress while records wait.
 * Kafka outages are ridden out: a broken consumer is replaced, with backoff, until the worker
 * stops; only an authorization or authentication error is fatal.
 */

import { performance } from "node:perf_hooks";
import { WorkerFatalError } from "../errors.js";
import { type LogFields, type Logger, withLogFields } from "../logging.js";
import type { WorkerMetrics } from "../observability/metrics.js";
import type { Tracing } from "../observability/tracing.js";
import { DecodeError, decodeJob, encodeProgress } from "../protocol/codec.js";
import type { Job, Progress, Result, SkipReason } from "../protocol/messages.js";
import { jobTopic, jobsDltTopic, workerGroup } from "../protocol/topics.js";
import type { Settings } from "../settings.js";
import { ThrottledWarning, backoffMs, delay } from "./backoff.js";
import { deadLetter } from "./dead-letter.js";
import { ConsumerWatch } from "./consumer-watch.js";
import type { TakenJobs } from "./duplicates.js";
import { checked, seal, tooLarge } from "./envelope.js";
import { Attempt, type ExecutionHooks, progressOf } from "./attempt.js";
import type { Clock } from "./clock.js";
import { type ExecutionIdentity, type Handler, executeJob, resultOf } from "./execute.js";
import { workerShutdownFailure } from "./failure.js";
import { GroupSession, type RawMessage } from "./group-session.js";
import type { ClientBase } from "./kafka.js";
import { isFatalKafkaError } from "./kafka-errors.js";
import type { Limiter } from "./limiter.js";
import type { Ticket } from "./offsets.js";
import { type Publisher, RecordTooLargeError } from "./publisher.js";
import type { SkipSummary } from "./skips.js";
import type { RunningAttempts, Withdrawals } from "./withdrawals.js";

const COMMIT_INTERVAL_MS = 1_000;

export interface ActionConsumerDeps {
  settings: Settings;
  clientBase: ClientBase;
  handlers: ReadonlyMap<string, Handler>;
  limiter: Limiter;
  publisher: Publisher;
  identity: ExecutionIdentity;
  logger: Logger;
  /** The jobIds the control topic withdrew. */
  withdrawals: Withdrawals;
  /** The attempts running in this process (to cancel them). */
  running: RunningAttempts;
  /** The jobs this worker has in hand or ended lately: another copy is not started. */
  taken: TakenJobs;
  skips: SkipSummary;
  /** The worker's metrics (NO_METRICS when off). */
  metrics: WorkerMetrics;
  /** The worker's tracing; undefined when off. */
  tracing: Tracing | undefined;
  /** Called if the consumer hits an error no retry can fix; the worker then stops. */
  onFatal: (error: WorkerFatalError) => void;
  /** The worker's clock: wall-clock times on the wire, durations, attempt timers. */
  clock: Clock;
  /** Called for each FAILED WorkerShutdown Result produced (an attempt the shutdown released). */
  onShutdownRelease: () => void;
}

/** What running a job came to: a Result to send, or nothing (a withdrawn attempt given up). */
interface Ran {
  result: Result | undefined;
  headers: Map<Buffer, Buffer> | undefined;
}

export class ActionConsumer {
  readonly topic: string;
  readonly groupId: string;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly fetching = new AbortController();
  private readonly warnings: ThrottledWarning;
  private readonly watch: ConsumerWatch;
  private session: GroupSession | undefined;
  private supervisor: Promise<void> | undefined;
  private watching: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private markStarted: (() => void) | undefined;

  constructor(
    readonly action: string,
    private readonly deps: ActionConsumerDeps,
  ) {
    this.topic = jobTopic(deps.settings.jobsTopic, action);
    this.groupId = workerGroup(deps.settings.groupPrefix, action);
    this.warnings = new ThrottledWarning(deps.logger);
    this.watch = new ConsumerWatch({
      action,
      topic: this.topic,
      stallTimeoutMs: deps.settings.stallTimeoutMs,
      limiter: deps.limiter,
      metrics: deps.metrics,
      logger: deps.logger,
      session: () => this.session,
    });
  }

  /** Starts consuming; resolves once the group is joined (or the worker stops meanwhile). */
  start(): Promise<void> {
    const started = new Promise<void>((resolve) => (this.markStarted = resolve));
    this.supervisor = this.supervise();
    void this.supervisor.finally(() => this.markStarted?.());
    this.commitTimer = setInterval(() => void this.session?.commit(), COMMIT_INTERVAL_MS);
    this.watching = this.watch.run(this.fetching.signal);
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
    await this.watching;
    await this.session?.close(true);
  }

  /** Resolves once every job taken so far has finished (published or given up). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
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
      const task = this.process(taken.message, ticket, session).finally(() =>
        this.inFlight.delete(task),
      );
      this.inFlight.add(task);
    }
  }

  /** Runs one message; holds one limiter slot (acquired by the caller) while its handler runs. */
  private async process(message: RawMessage, ticket: Ticket, session: GroupSession): Promise<void> {
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
      // A job delivered twice runs once (docs/protocol.md, item 17): nothing sent, offset done.
      const copy = this.deps.taken.take(job.jobId, ticket);
      if (copy === undefined) {
        releaseSlot();
        this.deps.skips.record(job.jobId, "Duplicate");
        return;
      }
      try {
        const stale = this.staleReason(job);
        if (stale !== undefined) {
          releaseSlot();
          await this.skip(job, stale);
          copy.finish();
          return;
        }
        const { result, headers } = await this.run(job, message, copy, session);
        releaseSlot();
        // Nothing to send: a withdrawn attempt the shutdown gave up on (its offset is done).
        if (result === undefined) return;
        await this.publishResult(result, headers);
        copy.finish();
      } finally {
        copy.end();
      }
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

  /** Why the job must not start (docs/protocol.md, item 12), if it must not. */
  private staleReason(job: Job): SkipReason | undefined {
    if (this.deps.withdrawals.has(job.jobId)) return "Withdrawn";
    if (job.deadlineAt != null && this.deps.clock.now() >= job.deadlineAt) return "DeadlinePassed";
    return undefined;
  }

  private async skip(job: Job, reason: SkipReason): Promise<void> {
    const now = this.deps.clock.now();
    const { identity } = this.deps;
    await this.publishProgress(
      progressOf(job, identity, "SKIPPED", { startedAt: now, at: now, reason }),
    );
    this.deps.skips.record(job.jobId, reason);
    this.deps.metrics.jobDone(this.action, "skipped");
  }

  /**
   * Runs the handler as a cancellable attempt that reports its progress, timed and counted, in
   * its process span when tracing is on, with the job's fields on the log lines written
   * meanwhile. Returns the result to send (checked) and the headers of the attempt's records.
   * An attempt the shutdown cancelled that does not end in success within the grace is
   * answered FAILED WorkerShutdown; if its handler still runs when the grace ends, at once (the
   * handler's later outcome is discarded). Another attempt still running then (withdrawn, or
   * cancelled by its startToClose before) is given up: nothing is sent.
   */
  private async run(
    job: Job,
    message: RawMessage,
    ticket: Ticket,
    session: GroupSession,
  ): Promise<Ran> {
    const { running, identity, metrics, tracing, handlers, settings, clock } = this.deps;
    const trace = tracing?.startJob(job, {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      group: this.groupId,
      headers: message.headers,
    });
    const headers = trace?.headers();
    // With a heartbeat timeout the attempt is owned by its heartbeats once STARTED is
    // acknowledged: store (and commit) its offset then, so a crash does not redeliver it.
    const onStartedAcked =
      job.heartbeatTimeoutMs == null
        ? undefined
        : (): void => {
            ticket.finish();
            void session.commit();
          };
    const attempt = new Attempt(job, {
      identity,
      publishProgress: (progress) => this.publishProgress(progress, headers),
      onStartedAcked,
      // Withdrawn while running: nothing pins the partition's offset on it any more.
      onWithdrawn: () => {
        ticket.finish();
        void session.commit();
      },
      clock,
    });
    let handlerStart = 0;
    const hooks: ExecutionHooks = {
      begin: (startedAt) => {
        metrics.handlerStarted(this.action);
        handlerStart = performance.now();
        return attempt.begin(startedAt);
      },
      end: (failed) => {
        metrics.handlerEnded(this.action, (performance.now() - handlerStart) / 1000);
        attempt.end(failed);
      },
    };
    const fields: LogFields = { run_id: job.runId, job_id: job.jobId };
    if (trace !== undefined) {
      fields["trace_id"] = trace.traceId;
      fields["span_id"] = trace.spanId;
    }
    const execute = (): Promise<Result> =>
      withLogFields(fields, () => executeJob(job, handlers, identity, hooks, clock));
    running.add(attempt);
    try {
      const executing = trace === undefined ? execute() : trace.run(execute);
      const ended = await Promise.race([executing, attempt.released.then(() => undefined)]);
      let answer: Result;
      if (ended === undefined) {
        // Released: the handler still runs; whatever it ends with later is discarded.
        const failure = workerShutdownFailure();
        answer = resultOf(job, identity, attempt.startedAt, { failure }, clock.now());
        if (!attempt.answeredAtRelease) {
          // Withdrawn (its offset is done), or cancelled by its startToClose before the
          // shutdown (not answered: Kafka redelivers it, as before issue 25).
          trace?.end(answer);
          return { result: undefined, headers };
        }
        this.deps.onShutdownRelease();
      } else if (ended.status === "FAILED" && attempt.answeredAtRelease) {
        answer = { ...ended, failure: workerShutdownFailure(ended.failure?.message) };
        this.deps.onShutdownRelease();
      } else {
        answer = ended;
      }
      let result = checked(answer, settings.maxPayloadBytes);
      if (trace !== undefined) {
        if (trace.traceparent !== null) result = { ...result, traceparent: trace.traceparent };
        trace.end(result);
      }
      metrics.jobDone(this.action, result.status === "COMPLETED" ? "completed" : "failed");
      return { result, headers };
    } finally {
      running.delete(attempt);
    }
  }

  private publishProgress(progress: Progress, headers?: Map<Buffer, Buffer>): Promise<void> {
    return this.deps.publisher.publish({
      topic: this.deps.settings.resultsTopic,
      key: Buffer.from(progress.runId, "utf8"),
      value: encodeProgress(progress),
      ...(headers === undefined ? {} : { headers }),
    });
  }

  /** Publishes the result; one Kafka refuses as too large is answered by FAILED ResultTooLarge. */
  private async publishResult(result: Result, headers?: Map<Buffer, Buffer>): Promise<void> {
    const { settings, publisher } = this.deps;
    const key = Buffer.from(result.runId, "utf8");
    const topic = settings.resultsTopic;
    const traced = headers === undefined ? {} : { headers };
    try {
      await publisher.publish({
        topic,
        key,
        value: seal(result, settings.maxPayloadBytes),
        ...traced,
      });
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
        ...traced,
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
      deadLetter(
        message,
        error,
        jobsDltTopic(settings.jobsTopic),
        settings.workerId,
        this.deps.clock.now(),
      ),
    );
  }
}
