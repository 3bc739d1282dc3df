/** The Worker: register handlers, start one consumer per action, drain on SIGTERM/SIGINT. */

import { SDK } from "../_package.js";
import { LegatoError } from "../errors.js";
import { type Logger, createLogger, describeError } from "../logging.js";
import { isValidAction, jobTopic, jobsDltTopic } from "../protocol/topics.js";
import { type Settings, loadSettings } from "../settings.js";
import { ActionConsumer } from "./action-consumer.js";
import type { Handler } from "./execute.js";
import { createProducer, ensureTopics } from "./kafka.js";
import { Limiter } from "./limiter.js";
import { Publisher } from "./publisher.js";
import { installSignalHandlers } from "./signals.js";

export interface WorkerOptions extends Partial<Settings> {
  /** Environment to read LEGATO_* from (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Drain and exit on SIGTERM/SIGINT (default: true). */
  handleSignals?: boolean;
}

type State = "new" | "starting" | "running" | "stopping" | "stopped";

/** Time allowed, after the drain, to flush the producer and to commit and leave the groups. */
const CLOSE_TIMEOUT_MS = 10_000;

export class Worker {
  readonly settings: Settings;
  private readonly logger: Logger;
  private readonly handleSignals: boolean;
  private readonly handlers = new Map<string, Handler>();
  private state: State = "new";
  private consumers: ActionConsumer[] = [];
  private publisher: Publisher | undefined;
  private stopping: Promise<void> | undefined;
  private fatal: Error | undefined;
  private removeSignalHandlers: (() => void) | undefined;
  private resolveStopped: (() => void) | undefined;
  private readonly stopped: Promise<void>;

  constructor(options: WorkerOptions = {}) {
    const { env, handleSignals, ...overrides } = options;
    this.settings = loadSettings(env ?? process.env, overrides);
    this.logger = createLogger(this.settings.logLevel);
    this.handleSignals = handleSignals ?? true;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  /** Registers the handler of `action` (a name matching ^[A-Za-z][A-Za-z0-9_-]{0,99}$, not DLT). */
  register<P = unknown>(action: string, handler: Handler<P>): this {
    if (!isValidAction(action)) {
      throw new LegatoError(
        `invalid action name "${action}": it must match ^[A-Za-z][A-Za-z0-9_-]{0,99}$ and not be DLT`,
      );
    }
    if (this.state !== "new") throw new LegatoError("register() must be called before start()");
    if (this.handlers.has(action))
      throw new LegatoError(`action "${action}" is already registered`);
    this.handlers.set(action, handler as Handler);
    return this;
  }

  /** Starts consuming; resolves once the worker has stopped (rejects if it died). */
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
      const servers = this.settings.bootstrapServers.join(",");
      const reason = error instanceof Error ? describeError(error) : String(error);
      this.fatal = new LegatoError(`the worker could not start (Kafka at ${servers}): ${reason}`, {
        cause: error,
      });
      this.logger.error(this.fatal.message);
      await this.stop();
    }
    if (this.state === "starting") this.state = "running";
    await this.stopped;
    if (this.fatal !== undefined) throw this.fatal;
  }

  /** Stops fetching, drains in-flight jobs (at most LEGATO_SHUTDOWN_TIMEOUT_MS), commits, closes. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async open(): Promise<void> {
    const { settings } = this;
    const actions = [...this.handlers.keys()];
    await ensureTopics(
      settings,
      [
        ...actions.map((a) => jobTopic(settings.jobsTopic, a)),
        settings.resultsTopic,
        jobsDltTopic(settings.jobsTopic),
      ],
      settings.jobPartitions,
    );
    this.publisher = new Publisher(() => createProducer(settings), this.logger);
    const deps = {
      settings,
      handlers: this.handlers,
      limiter: new Limiter(settings.concurrency),
      publisher: this.publisher,
      identity: { workerId: settings.workerId, sdk: SDK },
      logger: this.logger,
      onFatal: (error: Error) => {
        this.logger.error("consumer failed; stopping the worker", { error });
        this.fatal ??= error;
        void this.stop();
      },
    };
    for (const action of actions) {
      const consumer = new ActionConsumer(action, deps);
      this.consumers.push(consumer);
      await consumer.start();
    }
    this.logger.info("worker started", {
      workerId: settings.workerId,
      actions: actions.join(","),
      concurrency: settings.concurrency,
    });
  }

  private async shutdown(): Promise<void> {
    this.state = "stopping";
    const inFlight = this.consumers.reduce((sum, c) => sum + c.inFlightCount(), 0);
    this.logger.info("stopping: draining in-flight jobs", { inFlight });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.settings.shutdownTimeoutMs);
    });
    try {
      await Promise.all(this.consumers.map((consumer) => consumer.drain(deadline)));
      clearTimeout(timer);
      await this.publisher?.close(CLOSE_TIMEOUT_MS);
      const closed = await Promise.allSettled(this.consumers.map((consumer) => consumer.close()));
      for (const outcome of closed) {
        if (outcome.status === "rejected") {
          this.logger.warning("consumer close failed", { error: outcome.reason });
        }
      }
    } finally {
      clearTimeout(timer);
      this.removeSignalHandlers?.();
      this.state = "stopped";
      this.logger.info("worker stopped", { workerId: this.settings.workerId });
      this.resolveStopped?.();
    }
  }
}
