/** Maps a handler's exception (or unserialisable return value) onto the Result failure envelope. */

import { ApplicationError, SerializationError } from "../errors.js";
import type { Failure } from "../protocol/messages.js";

export { SerializationError };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws on what JSON.stringify would silently turn into `null` or escape into invalid UTF-8. */
function strict(this: unknown, key: string, value: unknown): unknown {
  if (LONE_SURROGATE.test(key)) {
    throw new SerializationError(`a key is not valid Unicode text (a lone surrogate)`);
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new SerializationError(
      `${String(value)} has no JSON form${key === "" ? "" : ` (at key "${key}")`}`,
    );
  }
  if (typeof value === "string" && LONE_SURROGATE.test(value)) {
    throw new SerializationError(
      `a string is not valid Unicode text (a lone surrogate)${key === "" ? "" : ` (at key "${key}")`}`,
    );
  }
  return value;
}

/** JSON text of a value, or undefined when it has none (functions, symbols, cycles, BigInt). */
export function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * `value` as strict JSON text. Throws SerializationError for NaN, +/-Infinity, BigInt, cycles,
 * lone surrogates, or a value with no JSON form at all (a function, a symbol, undefined);
 * `what` names the value in the message.
 */
export function strictJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, strict);
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    const reason = error instanceof Error ? error.message : safeString(error);
    throw new SerializationError(`${what} cannot be serialised to JSON: ${reason}`, {
      cause: error,
    });
  }
  if (text === undefined) {
    throw new SerializationError(`${what} is a ${typeof value}, which has no JSON form`);
  }
  return text;
}

/**
 * The `output` of a COMPLETED result: the return value as strict JSON text (`undefined` ->
 * `null`); see strictJson.
 */
export function serializeOutput(value: unknown): string {
  return value === undefined ? "null" : strictJson(value, "the handler's return value");
}

/** String(value), or a placeholder when even that throws (an object with a broken toString). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function detailsText(details: unknown): string | null {
  if (details === undefined) return null;
  return jsonText(details) ?? JSON.stringify(safeString(details));
}

/** The failure envelope for anything a handler threw (Errors and non-Error values alike). */
export function failureFrom(error: unknown): Failure {
  if (!(error instanceof Error)) {
    return {
      type: "Error",
      message: typeof error === "string" ? error : (jsonText(error) ?? safeString(error)),
      nonRetryable: false,
      details: null,
      stackTrace: null,
    };
  }
  const app = error instanceof ApplicationError ? error : undefined;
  return {
    type: app?.type ?? (typeof error.name === "string" && error.name !== "" ? error.name : "Error"),
    message: typeof error.message === "string" ? error.message : safeString(error.message),
    nonRetryable: app?.nonRetryable ?? error instanceof SerializationError,
    details: detailsText(app?.details),
    stackTrace: typeof error.stack === "string" ? error.stack : null,
  };
}

/** A failure the SDK itself decides (never retried): UnknownAction, InvalidPayload, ... */
export function sdkFailure(
  type: string,
  message: string,
  stackTrace: string | null = null,
): Failure {
  return { type, message, nonRetryable: true, details: null, stackTrace };
}

export function unknownActionFailure(action: string): Failure {
  return sdkFailure(
    "UnknownAction",
    `no handler is registered for action "${action}" in this worker`,
  );
}

/** The reason of the worker's own cancellation at shutdown, and the failure type that releases it. */
export const WORKER_SHUTDOWN = "WorkerShutdown";

export const WORKER_SHUTDOWN_MESSAGE =
  "the worker shut down before the attempt ended; it is queued again without using an attempt";

/**
 * The failure of an attempt the worker's shutdown ended (cancelled with WorkerShutdown and not
 * ended in success within the grace): retryable, and the orchestrator queues the job again
 * without using an attempt. `raised`: the message of what the handler threw, if it threw.
 */
export function workerShutdownFailure(raised?: string): Failure {
  return {
    type: WORKER_SHUTDOWN,
    message:
      raised === undefined ? WORKER_SHUTDOWN_MESSAGE : `${WORKER_SHUTDOWN_MESSAGE}: ${raised}`,
    nonRetryable: false,
    details: null,
    stackTrace: null,
  };
}
