/**
 * A small leveled logger: one line per event on stderr (stdout stays the application's). Lines
 * written while a handler runs end with the job's fields (run_id, job_id, and trace_id, span_id
 * when tracing is on): they travel with the handler's async context (AsyncLocalStorage).
 */

import { AsyncLocalStorage } from "node:async_hooks";

export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

export function parseLogLevel(raw: string): LogLevel | undefined {
  const upper = raw.toUpperCase();
  if (upper === "WARN") return "WARNING";
  return Object.hasOwn(RANK, upper) ? (upper as LogLevel) : undefined;
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warning(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** One line: name, message, nested errors and causes. */
export function describeError(error: Error): string {
  const nested =
    error instanceof AggregateError
      ? ` [${error.errors.map((e: unknown) => (e instanceof Error ? describeError(e) : String(e))).join("; ")}]`
      : "";
  const cause = error.cause instanceof Error ? ` (cause: ${describeError(error.cause)})` : "";
  return `${error.name}: ${error.message}${nested}${cause}`;
}

const jobFields = new AsyncLocalStorage<LogFields>();

/** Runs `fn` with `fields` added to every line logged in its (async) context. */
export function withLogFields<T>(fields: LogFields, fn: () => T): T {
  return jobFields.run(fields, fn);
}

/** Runs `fn` outside any job's log fields (for work shared by many jobs, e.g. a batch timer). */
export function withoutLogFields<T>(fn: () => T): T {
  return jobFields.exit(fn);
}

function render(own: LogFields | undefined): string {
  const context = jobFields.getStore();
  const fields = context === undefined ? own : { ...own, ...context };
  if (fields === undefined) return "";
  const parts = Object.entries(fields).map(([key, value]) => {
    const text = value instanceof Error ? describeError(value) : String(value);
    return `${key}=${text}`;
  });
  return parts.length === 0 ? "" : ` ${parts.join(" ")}`;
}

export function createLogger(level: LogLevel, name = "legato-worker"): Logger {
  const threshold = RANK[level];
  const write = (lineLevel: LogLevel, message: string, fields?: LogFields): void => {
    if (RANK[lineLevel] < threshold) return;
    process.stderr.write(
      `${new Date().toISOString()} ${lineLevel} ${name} ${message}${render(fields)}\n`,
    );
  };
  return {
    debug: (message, fields) => write("DEBUG", message, fields),
    info: (message, fields) => write("INFO", message, fields),
    warning: (message, fields) => write("WARNING", message, fields),
    error: (message, fields) => write("ERROR", message, fields),
  };
}
