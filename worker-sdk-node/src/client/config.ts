/**
 * A Client's settings: its constructor options, else LEGATO_API_URL (default
 * http://localhost:8080) and LEGATO_API_KEY (none when unset), read here and nowhere else.
 */

import { type Env, optional } from "../env.js";
import { SettingsError } from "../errors.js";
import { sleep } from "./backoff.js";

export const DEFAULT_API_URL = "http://localhost:8080";
export const DEFAULT_MAX_RETRIES = 5;
export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface ClientOptions {
  /** The API's base URL (default: LEGATO_API_URL, else http://localhost:8080). */
  apiUrl?: string;
  /** Sent as `Authorization: Bearer <key>` (default: LEGATO_API_KEY; none when unset). */
  apiKey?: string | null;
  /** How many times a retryable failure is retried before its error is raised (default 5). */
  maxRetries?: number;
  /** How long one request may take, body included (default 30 s; not the event stream). */
  timeoutSeconds?: number;
  /** Where LEGATO_API_URL and LEGATO_API_KEY are read (default: process.env). */
  env?: Env;
  /** The fetch to use (default: the global fetch). */
  fetch?: typeof fetch;
  /** The wait between retries and reconnects (default: a timer); tests record the delays with it. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface ClientConfig {
  apiUrl: string;
  apiKey: string | null;
  maxRetries: number;
  timeoutMs: number;
  fetch: typeof fetch;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function clientConfig(options: ClientOptions = {}): ClientConfig {
  const env = options.env ?? process.env;
  const apiUrl = (options.apiUrl ?? optional(env, "LEGATO_API_URL") ?? DEFAULT_API_URL).replace(
    /\/+$/,
    "",
  );
  if (!/^https?:\/\/[^/]/.test(apiUrl)) {
    throw new SettingsError(`the API URL must start with http:// or https://, got "${apiUrl}"`);
  }
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new SettingsError(`maxRetries must be an integer >= 0, got ${maxRetries}`);
  }
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!(timeoutSeconds > 0)) {
    throw new SettingsError(`timeoutSeconds must be > 0, got ${timeoutSeconds}`);
  }
  return {
    apiUrl,
    apiKey: options.apiKey === undefined ? optional(env, "LEGATO_API_KEY") : options.apiKey,
    maxRetries,
    timeoutMs: timeoutSeconds * 1000,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    sleep: options.sleep ?? sleep,
  };
}
