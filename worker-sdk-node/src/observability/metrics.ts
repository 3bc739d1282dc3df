/**
 * Worker metrics (docs/observability.md, "Worker SDKs"): off unless LEGATO_METRICS_PORT is set.
 * On, prom-client is loaded (a dynamic import: an application without metrics never loads it),
 * the series live in a Registry of their own (never prom-client's global one, which the
 * application may use) and GET /metrics on LEGATO_METRICS_HOST:LEGATO_METRICS_PORT serves them.
 */

import { type Server, createServer } from "node:http";
import type { Logger } from "../logging.js";

/** How a job ended, as `legato_worker_jobs_total` counts it. */
export type JobOutcome = "completed" | "failed" | "skipped";

/** Handler duration buckets in seconds, the same in every SDK. */
export const HANDLER_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
] as const;

/** What the worker tells its metrics. Labels are the consumer's action (a bounded set). */
export interface WorkerMetrics {
  /** A handler starts. */
  handlerStarted(action: string): void;
  /** A handler settled after `seconds`. */
  handlerEnded(action: string, seconds: number): void;
  /** A job got its answer: a Result (completed/failed) or a SKIPPED Progress. */
  jobDone(action: string, outcome: JobOutcome): void;
  /** Records in the action's assigned partitions that this worker has not fetched yet. */
  recordsBehind(action: string, records: number): void;
  /** The action's consumer became stalled (true: one more stall) or fetches again (false). */
  stalled(action: string, stalled: boolean): void;
}

/** Metrics off: every call does nothing. */
export const NO_METRICS: WorkerMetrics = {
  handlerStarted: () => undefined,
  handlerEnded: () => undefined,
  jobDone: () => undefined,
  recordsBehind: () => undefined,
  stalled: () => undefined,
};

/** The values read when scraped rather than kept up to date. */
export interface SlotGauges {
  /** The worker's concurrency. */
  readonly slots: number;
  /** Slots held now. */
  readonly busy: number;
}

/** The worker's series in a Registry of their own; `render()` gives the text format. */
export interface MetricsRegistry extends WorkerMetrics {
  render(): Promise<string>;
  readonly contentType: string;
}

/**
 * Creates the series (prom-client loaded now); every action starts with 0 in flight, 0 records
 * behind, not stalled and 0 stalls.
 */
export async function createMetricsRegistry(
  actions: readonly string[],
  slots: SlotGauges,
): Promise<MetricsRegistry> {
  const prom = await import("prom-client");
  const registry = new prom.Registry();
  const registers = [registry];
  const jobs = new prom.Counter({
    name: "legato_worker_jobs_total",
    help: "Jobs handled, by outcome: completed, failed, skipped.",
    labelNames: ["action", "outcome"] as const,
    registers,
  });
  const duration = new prom.Histogram({
    name: "legato_worker_handler_duration_seconds",
    help: "The handler's run time.",
    labelNames: ["action"] as const,
    buckets: [...HANDLER_DURATION_BUCKETS],
    registers,
  });
  const inFlight = new prom.Gauge({
    name: "legato_worker_jobs_in_flight",
    help: "Handlers running now.",
    labelNames: ["action"] as const,
    registers,
  });
  new prom.Gauge({
    name: "legato_worker_slots",
    help: "The worker's concurrency (slots).",
    registers,
    collect() {
      this.set(slots.slots);
    },
  });
  new prom.Gauge({
    name: "legato_worker_slots_busy",
    help: "Slots in use now.",
    registers,
    collect() {
      this.set(slots.busy);
    },
  });
  const behind = new prom.Gauge({
    name: "legato_worker_records_behind",
    help: "Records in the action's assigned partitions that this worker has not fetched yet.",
    labelNames: ["action"] as const,
    registers,
  });
  const stalled = new prom.Gauge({
    name: "legato_worker_stalled",
    help: "1 while the action's consumer makes no progress with records waiting, else 0.",
    labelNames: ["action"] as const,
    registers,
  });
  const stalls = new prom.Counter({
    name: "legato_worker_stalls_total",
    help: "Times the action's consumer stopped making progress with records waiting.",
    labelNames: ["action"] as const,
    registers,
  });
  for (const action of actions) {
    inFlight.set({ action }, 0);
    behind.set({ action }, 0);
    stalled.set({ action }, 0);
    stalls.inc({ action }, 0);
  }
  return {
    handlerStarted: (action) => inFlight.inc({ action }),
    handlerEnded: (action, seconds) => {
      inFlight.dec({ action });
      duration.observe({ action }, seconds);
    },
    jobDone: (action, outcome) => jobs.inc({ action, outcome }),
    recordsBehind: (action, records) => behind.set({ action }, records),
    stalled: (action, now) => {
      stalled.set({ action }, now ? 1 : 0);
      if (now) stalls.inc({ action });
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** The metrics endpoint: GET /metrics; anything else is 404 (405 for other methods). */
export class MetricsServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on host:port (port 0: any free port); rejects if it cannot (e.g. the port is taken). */
  static async start(
    registry: MetricsRegistry,
    host: string,
    port: number,
    logger: Logger,
  ): Promise<MetricsServer> {
    const server = createServer((request, response) => {
      const path = (request.url ?? "/").split("?")[0];
      if (path !== "/metrics") {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
        return;
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      registry.render().then(
        (text) => {
          response.writeHead(200, { "content-type": registry.contentType });
          response.end(request.method === "HEAD" ? undefined : text);
        },
        (error: unknown) => {
          logger.warning("rendering the metrics failed", { error });
          response.writeHead(500, { "content-type": "text/plain" }).end("metrics failed\n");
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (error) => logger.warning("metrics server error", { error }));
    const address = server.address();
    const bound = typeof address === "object" && address !== null ? address.port : port;
    return new MetricsServer(server, bound);
  }

  /** Stops listening and closes its connections. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
