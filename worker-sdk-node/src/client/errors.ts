/**
 * The errors a Client raises (the same class names in every Legato SDK). An HTTP answer the
 * client does not retry (or stops retrying) is an ApiError subclass chosen by its status; the
 * outcomes of awaiting a run (RunFailed, RunCancelled, AwaitTimeout) and ConnectionFailed are not.
 */

import { LegatoError } from "../errors.js";
import type { Run } from "./run.js";

/** An HTTP error answer: `status`, the API's message, and the raw parsed `body`. */
export class ApiError extends LegatoError {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** 400, 415 or 422: the request is wrong (the message says what and where). */
export class InvalidRequest extends ApiError {}
/** 401: no API key, or one the API does not know. */
export class Unauthorized extends ApiError {}
/** 403: the API key lacks the scope the operation needs. */
export class Forbidden extends ApiError {}
/** 404: unknown run or workflow. */
export class NotFound extends ApiError {}
/** 409: the run is in the wrong state for the operation. */
export class Conflict extends ApiError {}
/** 413: a body or payload over the API's limit. */
export class PayloadTooLarge extends ApiError {}

/** 429 after the retries ran out; `retryAfter`: the last answer's Retry-After in seconds. */
export class RateLimited extends ApiError {
  constructor(
    status: number,
    message: string,
    body: unknown,
    readonly retryAfter: number | null,
  ) {
    super(status, message, body);
  }
}

/** 5xx (503 after the retries ran out). */
export class ServerError extends ApiError {}

/** The API could not be reached (after the retries the request allows); names the URL. */
export class ConnectionFailed extends LegatoError {}

/** The awaited run ended FAILED: `error` is the run's error object, `run` the run. */
export class RunFailed extends LegatoError {
  readonly error: unknown;
  constructor(readonly run: Run) {
    super(`run ${run.runId} failed: ${describeRunError(run.error)}`);
    this.error = run.error;
  }
}

/** The awaited run ended CANCELLED. */
export class RunCancelled extends LegatoError {
  constructor(readonly run: Run) {
    super(`run ${run.runId} was cancelled`);
  }
}

/** The run had not ended when the await's timeout passed (the run goes on). */
export class AwaitTimeout extends LegatoError {
  constructor(
    readonly runId: string,
    readonly timeoutSeconds: number,
  ) {
    super(`run ${runId} did not end within ${timeoutSeconds} s`);
  }
}

function describeRunError(error: unknown): string {
  if (typeof error !== "object" || error === null) return "no error recorded";
  const { type, message, stepId } = error as Record<string, unknown>;
  const where = typeof stepId === "string" ? ` (step ${stepId})` : "";
  const text = typeof message === "string" ? `: ${message}` : "";
  return `${typeof type === "string" ? type : "Error"}${text}${where}`;
}

type ApiErrorClass = new (status: number, message: string, body: unknown) => ApiError;

const BY_STATUS: ReadonlyMap<number, ApiErrorClass> = new Map<number, ApiErrorClass>([
  [400, InvalidRequest],
  [415, InvalidRequest],
  [422, InvalidRequest],
  [401, Unauthorized],
  [403, Forbidden],
  [404, NotFound],
  [409, Conflict],
  [413, PayloadTooLarge],
]);

/** The typed error of an HTTP error answer (`retryAfter` only matters for 429). */
export function apiError(
  status: number,
  body: unknown,
  retryAfter: number | null = null,
): ApiError {
  const message = apiMessage(status, body);
  if (status === 429) return new RateLimited(status, message, body, retryAfter);
  if (status >= 500) return new ServerError(status, message, body);
  const Class = BY_STATUS.get(status) ?? ApiError;
  return new Class(status, message, body);
}

/**
 * The API's own words: `message` (a definition error: `body.steps[0].dependsOn: ...`), a string
 * `detail`, or each validation error of a `detail` list as `loc: msg`.
 */
export function apiMessage(status: number, body: unknown): string {
  if (typeof body === "object" && body !== null) {
    const { message, detail } = body as Record<string, unknown>;
    if (typeof message === "string") return message;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail) && detail.length > 0) return detail.map(validationText).join("; ");
  }
  if (typeof body === "string" && body.trim() !== "") return `HTTP ${status}: ${body.trim()}`;
  return `HTTP ${status}`;
}

function validationText(item: unknown): string {
  if (typeof item !== "object" || item === null) return String(item);
  const { loc, msg } = item as { loc?: unknown; msg?: unknown };
  const where = Array.isArray(loc) ? loc.map(String).join(".") : "";
  const what = typeof msg === "string" ? msg : JSON.stringify(item);
  return where === "" ? what : `${where}: ${what}`;
}
