/**
 * One HTTP call of the Client, repeated when that is safe: 429 and 503 always (the API did
 * nothing; after Retry-After or the backoff), 409 only when the call asks (a trigger with an
 * Idempotency-Key whose first request is still in flight), connection errors and timeouts when
 * the call is idempotent, or when the request never left (refused, unknown host). Then the
 * typed error.
 */

import { retryAfterMs, retryDelayMs } from "./backoff.js";
import type { ClientConfig } from "./config.js";
import { type ApiError, ConnectionFailed, apiError } from "./errors.js";

export interface Call {
  method: "GET" | "POST";
  path: string;
  query?: URLSearchParams;
  /** A JSON body (sent with Content-Type: application/json); undefined: none. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Repeating it cannot do anything twice: connection errors and timeouts are retried. */
  idempotent: boolean;
  /** A 409 means "still in flight", not a conflict: retried like a 429. */
  retryConflict?: boolean;
  /** An event stream: no timeout, the body is left to the caller. */
  stream?: boolean;
  signal?: AbortSignal;
}

/** Errors of a request that never reached the server: repeating it is always safe. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EADDRNOTAVAIL"]);

type Attempt =
  | { kind: "answer"; response: Response; body: unknown }
  | { kind: "stream"; response: Response }
  | { kind: "failed"; reason: string; notSent: boolean };

export class Transport {
  constructor(readonly config: ClientConfig) {}

  url(call: Pick<Call, "path" | "query">): string {
    const query = call.query === undefined ? "" : call.query.toString();
    return `${this.config.apiUrl}${call.path}${query === "" ? "" : `?${query}`}`;
  }

  /** The parsed JSON answer of a 2xx, after the retries the call allows; else its typed error. */
  async json<T>(call: Call): Promise<T> {
    const attempt = await this.send(call);
    if (attempt.kind !== "answer") throw new Error("unreachable: a stream call in json()");
    return attempt.body as T;
  }

  /** An open 2xx event-stream response (its body unread), after the retries the call allows. */
  async stream(call: Call): Promise<Response> {
    const attempt = await this.send({ ...call, stream: true });
    if (attempt.kind !== "stream") throw new Error("unreachable: a JSON call in stream()");
    return attempt.response;
  }

  private async send(call: Call): Promise<Exclude<Attempt, { kind: "failed" }>> {
    const url = this.url(call);
    for (let retry = 0; ; retry += 1) {
      const attempt = await this.attempt(url, call);
      const last = retry >= this.config.maxRetries;
      if (attempt.kind === "failed") {
        if (last || !(call.idempotent || attempt.notSent)) {
          throw connectionFailed(call, url, attempt, retry);
        }
        await this.config.sleep(retryDelayMs(retry), call.signal);
        continue;
      }
      const { status, headers } = attempt.response;
      if (status < 300) return attempt;
      const body = attempt.kind === "answer" ? attempt.body : await readBody(attempt.response);
      const waitMs = retryAfterMs(headers.get("Retry-After"));
      const retryable = status === 429 || status === 503 || (status === 409 && call.retryConflict);
      if (!retryable || last) throw this.error(status, body, waitMs);
      await this.config.sleep(waitMs ?? retryDelayMs(retry), call.signal);
    }
  }

  private error(status: number, body: unknown, waitMs: number | null): ApiError {
    return apiError(status, body, waitMs === null ? null : waitMs / 1000);
  }

  private async attempt(url: string, call: Call): Promise<Attempt> {
    const signals = call.signal === undefined ? [] : [call.signal];
    const signal = AbortSignal.any(
      call.stream ? signals : [...signals, AbortSignal.timeout(this.config.timeoutMs)],
    );
    let response: Response;
    try {
      response = await this.config.fetch(url, {
        method: call.method,
        headers: this.headers(call),
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal,
      });
      if (call.stream && response.ok) return { kind: "stream", response };
      return { kind: "answer", response, body: await readBody(response) };
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      return { kind: "failed", reason: describe(error), notSent: NOT_SENT.has(codeOf(error)) };
    }
  }

  private headers(call: Call): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: call.stream ? "text/event-stream" : "application/json",
      ...call.headers,
    };
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    if (this.config.apiKey !== null) headers["Authorization"] = `Bearer ${this.config.apiKey}`;
    return headers;
  }
}

/** The body as JSON when it parses, else its text (null when empty). */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function codeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === "string" ? cause.code : "";
}

function describe(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "timed out";
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === "" ? message : `${code}: ${message}`;
}

function connectionFailed(
  call: Call,
  url: string,
  failed: { reason: string; notSent: boolean },
  retries: number,
): ConnectionFailed {
  const tries = retries === 0 ? "" : ` (${retries + 1} attempts)`;
  const unsure =
    call.idempotent || failed.notSent
      ? ""
      : "; it may have been applied (not repeated: repeating it is not safe)";
  return new ConnectionFailed(`${call.method} ${url} failed: ${failed.reason}${tries}${unsure}`);
}
