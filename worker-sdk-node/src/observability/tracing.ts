/**
 * Tracing (docs/observability.md, "Traces"): off unless the standard OTEL_* variables ask for it
 * (`tracingEnabled`). Off, nothing of OpenTelemetry is loaded, no header is read or written and
 * no span is made. On, the OpenTelemetry packages are loaded with dynamic imports; an
 * application that registered a global tracer provider keeps it (the worker's spans go there),
 * else the worker installs a NodeTracerProvider exporting OTLP (protobuf over HTTP; the
 * OTEL_EXPORTER_OTLP_* variables apply) through a batch span processor (OTEL_BSP_*), with
 * service.name `legato-worker` unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise.
 *
 * Each attempt gets one CONSUMER span, `process <job topic>`: its parent (and its one link) is
 * the context of the job record's `traceparent`/`tracestate` headers, else of the Job's
 * `traceparent` field. The handler runs with that span active, so its own spans are children;
 * the attempt's Progress and Result records carry the span's context in their headers and the
 * Result's `traceparent` field.
 */

import type * as OtelApi from "@opentelemetry/api";
import { SDK_VERSION } from "../_package.js";
import type { Logger } from "../logging.js";
import type { Job, Result } from "../protocol/messages.js";

type Env = Readonly<Record<string, string | undefined>>;

export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";
/** service.name when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES name one. */
export const DEFAULT_SERVICE_NAME = "legato-worker";

function value(env: Env, name: string): string {
  return env[name]?.trim() ?? "";
}

/**
 * The spec's rule: on when OTEL_SDK_DISABLED is not `true` and OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER (other than `none`) is set.
 */
export function tracingEnabled(env: Env): boolean {
  if (value(env, "OTEL_SDK_DISABLED").toLowerCase() === "true") return false;
  if (value(env, "OTEL_EXPORTER_OTLP_ENDPOINT") !== "") return true;
  if (value(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") !== "") return true;
  const exporters = value(env, "OTEL_TRACES_EXPORTER").toLowerCase();
  return exporters !== "" && exporters !== "none";
}

/** Where the job record came from (for the span's messaging attributes). */
export interface JobSource {
  topic: string;
  partition: number;
  offset: bigint;
  group: string;
  /** The record's headers (names and values UTF-8). */
  headers: ReadonlyMap<Buffer, Buffer> | undefined;
}

/** The process span of one attempt. */
export interface JobTrace {
  /** The span's W3C traceparent (what the Result's `traceparent` field carries). */
  readonly traceparent: string | null;
  readonly traceId: string;
  readonly spanId: string;
  /** Headers for the attempt's records: traceparent and, when there is one, tracestate. */
  headers(): Map<Buffer, Buffer>;
  /** Runs `fn` with the span active (its async continuations too). */
  run<T>(fn: () => T): T;
  /** Ends the span with the attempt's outcome (ERROR and error.type for a FAILED result). */
  end(result: Result): void;
}

export interface Tracing {
  startJob(job: Job, source: JobSource): JobTrace;
  /** Flushes the spans; shuts the provider down if the worker installed it. */
  close(): Promise<void>;
}

/** The value of header `name` (the first one), as text. */
function header(headers: ReadonlyMap<Buffer, Buffer> | undefined, name: string): string | null {
  if (headers === undefined) return null;
  for (const [key, content] of headers) {
    if (key.toString("utf8").toLowerCase() === name) return content.toString("utf8");
  }
  return null;
}

/** The job's incoming trace context: its record's headers, else its `traceparent` field. */
export function incomingCarrier(
  job: Pick<Job, "traceparent">,
  headers: ReadonlyMap<Buffer, Buffer> | undefined,
): Record<string, string> {
  const carrier: Record<string, string> = {};
  const parent = header(headers, TRACEPARENT);
  if (parent !== null) {
    carrier[TRACEPARENT] = parent;
    const state = header(headers, TRACESTATE);
    if (state !== null) carrier[TRACESTATE] = state;
  } else if (job.traceparent != null && job.traceparent !== "") {
    carrier[TRACEPARENT] = job.traceparent;
  }
  return carrier;
}

/** Exporters named by OTEL_TRACES_EXPORTER (default otlp): otlp and console; none: none. */
async function spanExporters(
  env: Env,
  logger: Logger,
  node: typeof import("@opentelemetry/sdk-trace-node"),
): Promise<import("@opentelemetry/sdk-trace-node").SpanExporter[]> {
  const names = (value(env, "OTEL_TRACES_EXPORTER") || "otlp")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "" && name !== "none");
  const exporters: import("@opentelemetry/sdk-trace-node").SpanExporter[] = [];
  for (const name of new Set(names)) {
    if (name === "otlp") {
      const protocol =
        value(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ||
        value(env, "OTEL_EXPORTER_OTLP_PROTOCOL");
      if (protocol !== "" && protocol !== "http/protobuf") {
        logger.warning("the Node SDK exports OTLP as http/protobuf only; ignoring the protocol", {
          protocol,
        });
      }
      const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
      exporters.push(new OTLPTraceExporter());
    } else if (name === "console") {
      exporters.push(new node.ConsoleSpanExporter());
    } else {
      logger.warning("unsupported OTEL_TRACES_EXPORTER value ignored", { exporter: name });
    }
  }
  return exporters;
}

/**
 * Whether the global tracer provider is a real one. The API's global is a ProxyTracerProvider
 * whose delegate is the no-op provider until an SDK registers itself (duck-typed: the
 * application may use another copy of @opentelemetry/api).
 */
function isRegistered(global: OtelApi.TracerProvider): boolean {
  return delegateOf(global).constructor.name !== "NoopTracerProvider";
}

function delegateOf(provider: OtelApi.TracerProvider): OtelApi.TracerProvider {
  const proxy = provider as OtelApi.TracerProvider & { getDelegate?: () => OtelApi.TracerProvider };
  return typeof proxy.getDelegate === "function" ? proxy.getDelegate() : provider;
}

interface Flushable {
  forceFlush?: () => Promise<void>;
  shutdown?: () => Promise<void>;
}

/** Loads OpenTelemetry and returns the worker's tracing (call only when tracingEnabled). */
export async function startTracing(env: Env, logger: Logger): Promise<Tracing> {
  const api = await import("@opentelemetry/api");
  const { W3CTraceContextPropagator } = await import("@opentelemetry/core");
  let provider: OtelApi.TracerProvider = api.trace.getTracerProvider();
  let owned = false;
  if (!isRegistered(provider)) {
    // No provider registered by the application: install one.
    const node = await import("@opentelemetry/sdk-trace-node");
    const resources = await import("@opentelemetry/resources");
    const { ATTR_SERVICE_NAME } = await import("@opentelemetry/semantic-conventions");
    const resource = resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ [ATTR_SERVICE_NAME]: DEFAULT_SERVICE_NAME }))
      .merge(resources.detectResources({ detectors: [resources.envDetector] }));
    const exporters = await spanExporters(env, logger, node);
    const installed = new node.NodeTracerProvider({
      resource,
      spanProcessors: exporters.map((exporter) => new node.BatchSpanProcessor(exporter)),
    });
    installed.register();
    provider = installed;
    owned = true;
    logger.info("tracing on", {
      exporters: exporters.map((exporter) => exporter.constructor.name).join(",") || "none",
    });
  } else {
    logger.info("tracing on, with the application's tracer provider");
  }
  return new OtelTracing(api, new W3CTraceContextPropagator(), provider, owned);
}

class OtelTracing implements Tracing {
  private readonly tracer: OtelApi.Tracer;

  constructor(
    private readonly api: typeof OtelApi,
    private readonly propagator: OtelApi.TextMapPropagator,
    private readonly provider: OtelApi.TracerProvider,
    private readonly owned: boolean,
  ) {
    this.tracer = provider.getTracer("legato-worker", SDK_VERSION);
  }

  startJob(job: Job, source: JobSource): JobTrace {
    const { api, propagator } = this;
    const parent = propagator.extract(
      api.ROOT_CONTEXT,
      incomingCarrier(job, source.headers),
      api.defaultTextMapGetter,
    );
    const parentSpan = api.trace.getSpanContext(parent);
    const links =
      parentSpan !== undefined && api.isSpanContextValid(parentSpan)
        ? [{ context: parentSpan }]
        : [];
    const span = this.tracer.startSpan(
      `process ${source.topic}`,
      {
        kind: api.SpanKind.CONSUMER,
        links,
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "process",
          "messaging.operation.name": "process",
          "messaging.destination.name": source.topic,
          "messaging.destination.partition.id": String(source.partition),
          "messaging.kafka.offset": Number(source.offset),
          "messaging.consumer.group.name": source.group,
          "messaging.message.id": job.jobId,
          "legato.run.id": job.runId,
          "legato.job.id": job.jobId,
          "legato.step.id": job.stepId,
          "legato.attempt": job.attempt,
          "legato.action": job.action,
          "legato.workflow.id": job.workflowId,
        },
      },
      parent,
    );
    const active = api.trace.setSpan(parent, span);
    const outgoing: Record<string, string> = {};
    propagator.inject(active, outgoing, api.defaultTextMapSetter);
    const { traceId, spanId } = span.spanContext();
    return {
      traceparent: outgoing[TRACEPARENT] ?? null,
      traceId,
      spanId,
      headers: () => {
        const headers = new Map<Buffer, Buffer>();
        for (const [name, text] of Object.entries(outgoing)) {
          headers.set(Buffer.from(name, "utf8"), Buffer.from(text, "utf8"));
        }
        return headers;
      },
      run: (fn) => api.context.with(active, fn),
      end: (result) => {
        span.setAttribute("legato.result.status", result.status);
        if (result.failure !== null) {
          span.setAttribute("error.type", result.failure.type);
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: result.failure.message });
        }
        span.end();
      },
    };
  }

  async close(): Promise<void> {
    const provider = delegateOf(this.provider) as OtelApi.TracerProvider & Flushable;
    if (this.owned) await provider.shutdown?.();
    else await provider.forceFlush?.();
  }
}
