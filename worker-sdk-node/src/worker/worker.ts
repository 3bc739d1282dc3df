/** The Worker: register handlers, start one consumer per action, drain on SIGTERM/SIGINT. */

import { SDK } from "../_package.js";
import { LegatoError, WorkerFatalError } from "../errors.js";
import { type Logger, createLogger, describeError } from "../logging.js";
import {
  MetricsServer,
  NO_METRICS,
  type WorkerMetrics,
  createMetricsRegistry,
} from "../observability/metrics.js";
import { type Tracing, startTracing, tracingEnabled } from "../observability/tracing.js";
import { isValidAction, jobTopic, jobsDltTopic } from "../protocol/topics.js";
import { type Settings, loadSettings } from "../settings.js";
import { ActionConsumer } from "./action-consumer.js";
import type { Handler } from "./execute.js";
import { type HandlerSchemas, typedHandler } from "./typed.js";
import { ThrottledWarning, backoffMs, delay, within } from "./backoff.js";
import { type Clock, type WallClock, completeClock } from "./clock.js";
import { ControlReader } from "./control.js";
import { TakenJobs } from "./duplicates.js";
import {
  type ClientBase,
  type TopicSpec,
  clientBase,
  controlTopicSpec,
  createProducer,
  ensureTopics,
} from "./kafka.js";
import { isFatalKafkaError } from "./kafka-errors.js";
import { Limiter } from "./limiter.js";
import { Publisher } from "./publisher.js";
import { installSignalHandlers } from "./signals.js";
import { SkipSummary } from "./skips.js";
import { RunningAttempts, Withdrawals } from "./withdrawals.js";

export interface WorkerOptions extends Partial<Settings> {
  /** Environment to read LEGATO_* (and the OTEL_* tracing switch) from (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Drain and exit on SIGTERM/SIGINT (default: true). */
  handleSignals?: boolean;
  /**
   * The wall clock (epoch milliseconds) for every time the worker sends or compares with one it
   * received: a job's `deadlineAt`, a Cancel's `at`, Progress `startedAt`/`at`, Result
   * `startedAt`/`finishedAt` (default: `Date.now()`). `{ now }` is enough; durations are measured
   * on the monotonic clock (`monotonic()` and the timers when the object has them, else the
   * system's).
   */
  clock?: WallClock | Clock;
}

type State = "new" | "starting" | "running" | "stopping" | "stopped";

/** Time allowed, after the drain, to flush the producer and to commit and leave the groups. */
const CLOSE_TIMEOUT_MS = 10_000;
/** After the drain limit, how long cancelled handlers get to end and send their result. */
const CANCEL_GRACE_MS = 1_000;

export class Worker {
  readonly settings: Settings;
  private readonly logger: Logger;
  private readonly handleSignals: boolean;
  private readonly handlers = new Map<string, Handler>();
  private state: State = "new";
  private consumers: ActionConsumer[] = [];
  private publisher: Publisher | undefined;
  private control: ControlReader | undefined;
  private readonly clock: Clock;
  private readonly withdrawals: Withdrawals;
  private readonly running = new RunningAttempts();
  /** The jobs in hand or ended lately (docs/protocol.md, item 17). */
  private readonly taken: TakenJobs;
  /** FAILED WorkerShutdown Results produced so far (attempts the shutdown released). */
  private released = 0;
  private skips: SkipSummary | undefined;
  private stopping: Promise<void> | undefined;
  private fatal: WorkerFatalError | undefined;
  private readonly clientBase: ClientBase;
  private readonly halted = new AbortController();
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly limiter: Limiter;
  private metrics: WorkerMetrics = NO_METRICS;
  private metricsServer: MetricsServer | undefined;
  private tracing: Tracing | undefined;
  private removeSignalHandlers: (() => void) | undefined;
  private resolveStopped: (() => void) | undefined;
  private readonly stopped: Promise<void>;

  constructor(options: WorkerOptions = {}) {
    const { env, handleSignals, clock, ...overrides } = options;
    this.clock = completeClock(clock);
    this.withdrawals = new Withdrawals(this.clock);
    this.taken = new TakenJobs(this.clock);
    this.env = env ?? process.env;
    this.settings = loadSettings(this.env, overrides);
    this.limiter = new Limiter(this.settings.concurrency);
    this.logger = createLogger(this.settings.logLevel);
    this.clientBase = clientBase(this.settings);
    this.handleSignals = handleSignals ?? true;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  /**
   * Registers the handler of `action` (a name matching ^[A-Za-z][A-Za-z0-9_-]{0,99}$, not DLT).
   * With `schemas`, its input and output are validated and converted at the boundary (a refused
   * value fails the attempt, non-retryably, as InvalidPayload); without, they are not checked.
   */
  register<In = unknown, Out = unknown>(
    action: string,
    handler: Handler<In, Out>,
    schemas?: HandlerSchemas<In, Out>,
  ): this {
    if (!isValidAction(action)) {
      throw new LegatoError(
        `invalid action name "${action}": it must match ^[A-Za-z][A-Za-z0-9_-]{0,99}$ and not be DLT`,
      );
    }
    if (this.state !== "new") throw new LegatoError("register() must be called before start()");
    if (this.handlers.has(action))
      throw new LegatoError(`action "${action}" is already registered`);
    this.handlers.set(action, typedHandler(handler, schemas));
    return this;
  }

  /**
   * Starts consuming; resolves once the worker has stopped. Rejects with WorkerFatalError if it
   * stopped because of an error no retry can fix (the process should then exit non-zero).
   */
  async start(): Promise<void> {
    if (this.state !== "new") throw new LegatoError("a Worker can only be started once");
    if (this.handlers.size === 0)
      throw new LegatoError("register at least one action before start()");
    this.state = "starting";
    if (this.handleSignals) {
      this.removeSignalHandlers = installSignalHandlers(this.logger, () => this.stop());
    }
    try {
      await this.open();
    } catch (error) {
      this.die(
        error instanceof WorkerFatalError
          ? error
          : new WorkerFatalError(`the worker could not start: ${describe(error)}`, {
              cause: error,
            }),
      );
    }
    if (this.state === "starting") this.state = "running";
    await this.stopped;
    if (this.fatal !== undefined) throw this.fatal;
  }

  /** Stops fetching, drains in-flight jobs (at most LEGATO_SHUTDOWN_TIMEOUT_MS), commits, closes. */
  stop(): Promise<void> {
    this.halted.abort();
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Stops the worker for good after an error no retry can fix: one ERROR line, then stop(). */
  private die(error: WorkerFatalError): void {
    if (this.fatal !== undefined) return;
    this.fatal = error;
    this.logger.error(`fatal: ${describe(error)}; stopping the worker`);
    void this.stop();
  }

  private async open(): Promise<void> {
    const { settings } = this;
    const actions = [...this.handlers.keys()];
    await this.startObservability(actions);
    if (settings.createTopics) {
      const partitions = settings.jobPartitions;
      await this.createTopics([
        ...[
          ...actions.map((a) => jobTopic(settings.jobsTopic, a)),
          settings.resultsTopic,
          jobsDltTopic(settings.jobsTopic),
        ].map((topic) => ({ topic, partitions })),
        controlTopicSpec(settings.controlTopic),
      ]);
    }
    if (this.halted.signal.aborted) return;
    this.publisher = new Publisher(
      () => createProducer(this.clientBase),
      this.logger,
      (error) => this.die(error),
    );
    // Every withdrawal of the last day is known before the first job starts.
    this.control = new ControlReader({
      base: this.clientBase,
      topic: settings.controlTopic,
      logger: this.logger,
      onCancel: (cancel) => {
        this.withdrawals.add(cancel.jobId, cancel.at);
        if (this.running.withdraw(cancel.jobId, cancel.reason) > 0) {
          this.logger.info("cancelling a running attempt", {
            jobId: cancel.jobId,
            reason: cancel.reason,
          });
        }
      },
      onFatal: (error) => this.die(error),
    });
    await this.control.start();
    if (this.halted.signal.aborted) return;
    this.skips = new SkipSummary(this.logger, this.clock);
    const deps = {
      settings,
      clientBase: this.clientBase,
      handlers: this.handlers,
      limiter: this.limiter,
      publisher: this.publisher,
      identity: { workerId: settings.workerId, sdk: SDK },
      logger: this.logger,
      withdrawals: this.withdrawals,
      running: this.running,
      taken: this.taken,
      skips: this.skips,
      metrics: this.metrics,
      tracing: this.tracing,
      onFatal: (error: WorkerFatalError) => this.die(error),
      clock: this.clock,
      onShutdownRelease: () => this.released++,
    };
    const consumers = actions.map((action) => new ActionConsumer(action, deps));
    this.consumers.push(...consumers);
    await Promise.all(consumers.map((consumer) => consumer.start()));
    if (this.halted.signal.aborted) return;
    this.logger.info("worker started", {
      workerId: settings.workerId,
      actions: actions.join(","),
      concurrency: settings.concurrency,
    });
  }

  /** Metrics (LEGATO_METRICS_PORT) and tracing (OTEL_*), each only when asked for. */
  private async startObservability(actions: string[]): Promise<void> {
    const { metricsPort, metricsHost, concurrency } = this.settings;
    if (metricsPort !== null) {
      const limiter = this.limiter;
      const registry = await createMetricsRegistry(actions, {
        slots: concurrency,
        get busy() {
          return limiter.running;
        },
      });
      try {
        this.metricsServer = await MetricsServer.start(
          registry,
          metricsHost,
          metricsPort,
          this.logger,
        );
      } catch (error) {
        throw new WorkerFatalError(
          `cannot serve metrics on ${metricsHost}:${metricsPort} (LEGATO_METRICS_PORT, LEGATO_METRICS_HOST): ${describe(error)}`,
          { cause: error },
        );
      }
      this.metrics = registry;
      this.logger.info("serving metrics", {
        url: `http://${metricsHost}:${this.metricsServer.port}/metrics`,
      });
    }
    if (tracingEnabled(this.env)) this.tracing = await startTracing(this.env, this.logger);
  }

  /** Lists and creates the missing topics; retries while Kafka is unreachable. */
  private async createTopics(topics: TopicSpec[]): Promise<void> {
    const warnings = new ThrottledWarning(this.logger);
    for (let attempt = 1; !this.halted.signal.aborted; attempt++) {
      try {
        const created = await ensureTopics(this.clientBase, topics);
        if (created.length > 0) this.logger.info("topics created", { topics: created.join(",") });
        return;
      } catch (error) {
        if (isFatalKafkaError(error)) {
          throw new WorkerFatalError(
            `Kafka refused the worker while checking its topics (authentication or authorization; if the topics exist and this worker may not create them, set LEGATO_CREATE_TOPICS=false): ${describe(error)}`,
            { cause: error },
          );
        }
        warnings.warn("cannot reach Kafka to check the topics; retrying", {
          servers: this.settings.bootstrapServers.join(","),
          error: error instanceof Error ? error : new Error(String(error)),
        });
        await delay(backoffMs(attempt), this.halted.signal);
      }
    }
  }

  /**
   * The drain limit passed with handlers still running: signal them (WorkerShutdown) and give
   * them a moment to end. Those still running then are released: the worker answers each job
   * FAILED WorkerShutdown itself (the orchestrator queues it again without using an attempt)
   * and stores its offset once that is acknowledged; nothing is killed. So is an attempt that
   * ended in failure after the signal. A handler still running that was cancelled before (a
   * Cancel, its startToClose) is given up without an answer. Waits (at most `closeBy`) for the
   * answers.
   */
  private async cancelRunning(closeBy: number): Promise<void> {
    if (this.running.size === 0) return;
    const cancelled = this.running.cancelAll("WorkerShutdown");
    this.logger.warning("drain limit passed: cancelling the handlers still running", {
      handlers: cancelled,
    });
    const settled = (): Promise<unknown> =>
      Promise.all(this.consumers.map((consumer) => consumer.settled()));
    await within(settled(), CANCEL_GRACE_MS);
    const abandoned = this.running.releaseAll();
    if (abandoned > 0) {
      this.logger.warning("shutdown grace over: giving up on the handlers still running", {
        handlers: abandoned,
      });
    }
    await within(settled(), Math.max(0, closeBy - this.clock.monotonic()));
    if (this.released > 0) {
      this.logger.warning(
        `released ${this.released} attempt${this.released === 1 ? "" : "s"} at shutdown: each is queued again without using an attempt (FAILED WorkerShutdown)`,
        { attempts: this.released },
      );
    }
  }

  private async shutdown(): Promise<void> {
    this.state = "stopping";
    this.halted.abort();
    const inFlight = this.consumers.reduce((sum, c) => sum + c.inFlightCount(), 0);
    this.logger.info("stopping: draining in-flight jobs", { inFlight });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      // After a fatal error nothing more can be delivered: no drain wait.
      const wait = this.fatal === undefined ? this.settings.shutdownTimeoutMs : 0;
      timer = setTimeout(resolve, wait);
    });
    try {
      await Promise.all(this.consumers.map((consumer) => consumer.drain(deadline)));
      clearTimeout(timer);
      const closeBy = this.clock.monotonic() + CANCEL_GRACE_MS + CLOSE_TIMEOUT_MS;
      await this.cancelRunning(closeBy);
      await this.publisher?.close(Math.max(1_000, closeBy - this.clock.monotonic()));
      const closed = await Promise.allSettled(this.consumers.map((consumer) => consumer.close()));
      for (const outcome of closed) {
        if (outcome.status === "rejected") {
          this.logger.warning("consumer close failed", { error: outcome.reason });
        }
      }
      await this.control?.close();
      this.skips?.flush();
      await this.closeObservability();
    } finally {
      clearTimeout(timer);
      this.removeSignalHandlers?.();
      this.state = "stopped";
      this.logger.info("worker stopped", { workerId: this.settings.workerId });
      this.resolveStopped?.();
    }
  }

  private async closeObservability(): Promise<void> {
    const tracing = this.tracing;
    this.tracing = undefined;
    if (tracing !== undefined) {
      const flushed = tracing.close().then(
        () => true,
        (error: unknown) => {
          this.logger.warning("flushing the spans failed", { error });
          return true;
        },
      );
      if (!(await within(flushed, CLOSE_TIMEOUT_MS))) {
        this.logger.warning("flushing the spans timed out");
      }
    }
    await this.metricsServer?.close();
    this.metricsServer = undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? describeError(error) : String(error);
}
