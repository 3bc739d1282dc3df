/**
 * Every job gets an answer: a Result is size-checked, capped and encoded before it is produced.
 * The caps are the same in every SDK (counted in Unicode code points; the suffix is included):
 * `failure.message` <= 4096, `failure.stackTrace` <= 16384, `failure.details` JSON text over
 * 65536 UTF-8 bytes becomes `{"truncated":true,"bytes":<size>}`, and an `output` over
 * LEGATO_MAX_PAYLOAD_BYTES UTF-8 bytes turns the result into FAILED `ResultTooLarge`.
 */

import { encodeResult } from "../protocol/codec.js";
import type { Failure, Result } from "../protocol/messages.js";
import { sdkFailure } from "./failure.js";

export const MAX_MESSAGE_CHARS = 4096;
export const MAX_STACK_CHARS = 16_384;
export const MAX_DETAILS_BYTES = 65_536;
export const MAX_DLT_ERROR_MESSAGE_CHARS = 1024;
export const TRUNCATED = "...[truncated]";

/** `text` if it has at most `limit` code points, else its head + `...[truncated]` (`limit` in all). */
export function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const points = Array.from(text);
  if (points.length <= limit) return text;
  return points.slice(0, Math.max(0, limit - TRUNCATED.length)).join("") + TRUNCATED;
}

export function capDetails(details: string | null): string | null {
  if (details === null) return null;
  const bytes = Buffer.byteLength(details, "utf8");
  return bytes <= MAX_DETAILS_BYTES ? details : JSON.stringify({ truncated: true, bytes });
}

export function capFailure(failure: Failure): Failure {
  return {
    type: truncate(failure.type, MAX_MESSAGE_CHARS),
    message: truncate(failure.message, MAX_MESSAGE_CHARS),
    nonRetryable: failure.nonRetryable,
    details: capDetails(failure.details),
    stackTrace: failure.stackTrace === null ? null : truncate(failure.stackTrace, MAX_STACK_CHARS),
  };
}

function failed(result: Result, failure: Failure): Result {
  return { ...result, status: "FAILED", output: null, failure };
}

/** FAILED `ResultTooLarge` in place of `result` (size/limit unknown when Kafka refused it). */
export function tooLarge(result: Result, size?: number, limit?: number): Result {
  const message =
    size !== undefined && limit !== undefined
      ? `result output is ${size} bytes of JSON, over the limit of ${limit} bytes (LEGATO_MAX_PAYLOAD_BYTES)`
      : "Kafka rejected the result as too large (broker or topic max.message.bytes)";
  return failed(result, sdkFailure("ResultTooLarge", message));
}

/** The result to send: `result` itself (failure capped), or FAILED ResultTooLarge. */
export function checked(result: Result, maxPayloadBytes: number): Result {
  if (result.output !== null) {
    const size = Buffer.byteLength(result.output, "utf8");
    if (size > maxPayloadBytes) return tooLarge(result, size, maxPayloadBytes);
  }
  return result.failure === null ? result : { ...result, failure: capFailure(result.failure) };
}

/** Checks, caps and encodes `result`; if encoding still fails, a FAILED SerializationError goes. */
export function seal(result: Result, maxPayloadBytes: number): Buffer {
  const final = checked(result, maxPayloadBytes);
  try {
    return encodeResult(final);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const failure = sdkFailure(
      "SerializationError",
      truncate(`the result could not be encoded: ${reason}`, MAX_MESSAGE_CHARS),
    );
    return encodeResult(failed(final, failure));
  }
}
