/**
 * How long the client waits before it repeats a request: the answer's Retry-After when it has
 * one, else 0.2 s x 2^n capped at 5 s; and how long an event stream waits before it reconnects
 * (0.5 s doubling to 5 s).
 */

const FIRST_RETRY_MS = 200;
const FIRST_RECONNECT_MS = 500;
const MAX_DELAY_MS = 5000;

/** The wait before retry number `retry` (0 for the first) when the answer named none. */
export function retryDelayMs(retry: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** retry, MAX_DELAY_MS);
}

/** The wait before reconnect number `reconnect` (0 for the first) of an event stream. */
export function reconnectDelayMs(reconnect: number): number {
  return Math.min(FIRST_RECONNECT_MS * 2 ** reconnect, MAX_DELAY_MS);
}

/**
 * A Retry-After header in milliseconds from `now`: delay-seconds or an HTTP date (RFC 9110
 * 10.2.3); null when absent or unreadable. A date in the past is 0.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Waits `ms`; rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
