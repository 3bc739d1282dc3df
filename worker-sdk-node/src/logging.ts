/** A small leveled logger: one line per event on stderr (stdout stays the application's). */

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

function render(fields: LogFields | undefined): string {
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
