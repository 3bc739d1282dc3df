/** Maps a handler's exception (or unserialisable return value) onto the Result failure envelope. */

import { ApplicationError, LegatoError } from "../errors.js";
import type { Failure } from "../protocol/messages.js";

/** The handler returned a value that has no JSON form. */
export class SerializationError extends LegatoError {}

/** JSON text of a value, or undefined when it has none (functions, symbols, cycles, BigInt). */
function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The `output` of a COMPLETED result: the return value as JSON text (`undefined` -> `null`). */
export function serializeOutput(value: unknown): string {
  if (value === undefined) return "null";
  const text = jsonText(value);
  if (text === undefined) {
    throw new SerializationError(`handler returned a value that cannot be serialised to JSON`);
  }
  return text;
}

function detailsText(details: unknown): string | null {
  if (details === undefined) return null;
  return jsonText(details) ?? JSON.stringify(String(details));
}

/** The failure envelope for anything a handler threw. */
export function failureFrom(error: unknown): Failure {
  if (!(error instanceof Error)) {
    return {
      type: "Error",
      message: typeof error === "string" ? error : (jsonText(error) ?? String(error)),
      nonRetryable: false,
      details: null,
      stackTrace: null,
    };
  }
  const app = error instanceof ApplicationError ? error : undefined;
  return {
    type: app?.type ?? error.name,
    message: error.message,
    nonRetryable: app?.nonRetryable ?? false,
    details: detailsText(app?.details),
    stackTrace: error.stack ?? null,
  };
}

export function unknownActionFailure(action: string): Failure {
  return {
    type: "UnknownAction",
    message: `no handler is registered for action "${action}" in this worker`,
    nonRetryable: true,
    details: null,
    stackTrace: null,
  };
}
