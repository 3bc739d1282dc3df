/**
 * Time as the worker sees it, injectable so timing logic is testable without waiting.
 *
 * Two clocks: `now()` is the wall clock (epoch milliseconds), read for every time that goes on
 * the wire (Progress `startedAt`/`at`, Result `startedAt`/`finishedAt`, a skip's time) or is
 * compared with one (a job's `deadlineAt`, a Cancel's `at`); `monotonic()` measures durations
 * (heartbeat pacing, summaries), so a wall clock that jumps never stretches or shortens them.
 * Timers (`setTimeout`) are duration-based too.
 */

import { performance } from "node:perf_hooks";

export type TimerHandle = unknown;

/** Only a wall clock (epoch milliseconds): what a Worker's `clock` option needs at least. */
export interface WallClock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Clock extends WallClock {
  /** Milliseconds from a monotonic clock (arbitrary origin), for durations. */
  monotonic(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

/**
 * A whole Clock from `clock`: its own members where it has them, the system's monotonic clock
 * and timers otherwise (a bare `{ now }` only shifts the wall clock).
 */
export function completeClock(clock: WallClock | Clock | undefined): Clock {
  if (clock === undefined) return systemClock;
  const own = clock as WallClock & Partial<Clock>;
  const { monotonic, setTimeout: set, clearTimeout: clear } = own;
  const timers =
    set !== undefined && clear !== undefined
      ? {
          setTimeout: (callback: () => void, ms: number) => set.call(own, callback, ms),
          clearTimeout: (handle: TimerHandle) => clear.call(own, handle),
        }
      : { setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout };
  return {
    now: () => own.now(),
    monotonic: monotonic === undefined ? systemClock.monotonic : () => monotonic.call(own),
    ...timers,
  };
}
