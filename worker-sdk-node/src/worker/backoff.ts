/** Waiting helpers: abortable delays, exponential backoff, and rate-limited warnings. */

import { performance } from "node:perf_hooks";
import type { LogFields, Logger } from "../logging.js";

/** 100 ms doubling per attempt (1-based), at most `maxMs`. */
export function backoffMs(attempt: number, maxMs = 5_000): number {
  return Math.min(100 * 2 ** Math.min(Math.max(attempt - 1, 0), 20), maxMs);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** `work`, or `undefined` once `ms` passed (the work goes on in the background, ignored). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Logs a repeated failure at WARNING at most once per `intervalMs`, counting what it skipped. */
export class ThrottledWarning {
  private lastAt = -Infinity;
  private skipped = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  warn(message: string, fields: LogFields = {}): void {
    const now = performance.now();
    if (now - this.lastAt < this.intervalMs) {
      this.skipped++;
      return;
    }
    const repeats = this.skipped;
    this.lastAt = now;
    this.skipped = 0;
    this.logger.warning(
      message,
      repeats > 0 ? { ...fields, repeatsSinceLastLog: repeats } : fields,
    );
  }

  /** Forgets the last line, so the next failure logs at once. */
  reset(): void {
    this.lastAt = -Infinity;
    this.skipped = 0;
  }
}
