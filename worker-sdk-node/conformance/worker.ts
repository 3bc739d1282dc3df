/**
 * The conformance worker: the actions every SDK implements for tests/conformance (config from
 * LEGATO_* env). Run through ./run-worker after `npm run build`.
 * Test hook: LEGATO_CONFORMANCE_CLOCK_OFFSET_MS (an integer, may be negative; default 0) sets
 * the worker's wall clock that far from the system's.
 */

import { performance } from "node:perf_hooks";
import { ApplicationError, NonRetryableError, Worker } from "legato-worker";

/** Waits `ms`, or throws the signal's reason (a AttemptCancelled) once it aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function resumePoint(details: unknown): number {
  if (typeof details !== "object" || details === null) return 0;
  const done = (details as { done?: unknown }).done;
  return Number.isInteger(done) ? (done as number) : 0;
}

/** LEGATO_CONFORMANCE_CLOCK_OFFSET_MS, the conformance worker's own test hook (not the SDK's). */
function clockOffsetMs(): number {
  const raw = (process.env["LEGATO_CONFORMANCE_CLOCK_OFFSET_MS"] ?? "").trim();
  if (raw === "") return 0;
  if (!/^[+-]?\d+$/.test(raw)) {
    process.stderr.write(
      `conformance worker: LEGATO_CONFORMANCE_CLOCK_OFFSET_MS=${raw} is not an integer\n`,
    );
    process.exit(2);
  }
  return Number(raw);
}

const offsetMs = clockOffsetMs();
const worker = new Worker(offsetMs === 0 ? {} : { clock: { now: () => Date.now() + offsetMs } });

worker.register("echo", (payload) => ({ echo: payload, sdk: "node" }));

worker.register("fail", (payload) => {
  throw new ApplicationError("boom", { type: "ConformanceError", details: { payload } });
});

worker.register("fail-plain", () => {
  throw new Error("plain failure");
});

worker.register("nonretryable", () => {
  throw new NonRetryableError("declined", { type: "CardDeclined", details: { code: "51" } });
});

worker.register("slow", async (payload: { ms?: number }, context) => {
  const ms = Number(payload?.ms ?? 0);
  process.stdout.write(`STARTED ${context.jobId}\n`);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { slept: ms };
});

worker.register("big", (payload: { bytes?: number }) => "x".repeat(Number(payload?.bytes ?? 0)));

worker.register("nan", () => ({ value: NaN }));

worker.register("recurse", () => {
  const down = (depth: number): number => down(depth + 1) + 1;
  return down(0);
});

worker.register("count", (_payload, context) => {
  process.stdout.write(`RAN ${context.jobId}\n`);
  return { ok: true };
});

worker.register(
  "heartbeat",
  async (
    payload: { beats?: number; intervalMs?: number; failAt?: number; holdMs?: number },
    context,
  ) => {
    const start = resumePoint(context.lastHeartbeatDetails);
    process.stdout.write(`RESUMED ${context.jobId} ${start}\n`);
    const beats = Number(payload?.beats ?? 0);
    for (let i = start + 1; i <= beats; i++) {
      await sleep(Number(payload?.intervalMs ?? 0), context.signal);
      context.heartbeat({ done: i });
      if (payload?.failAt === i) {
        throw new ApplicationError(`failed at ${i}`, { type: "Interrupted" });
      }
    }
    await sleep(Number(payload?.holdMs ?? 0), context.signal); // work on, without heartbeating
    return { done: beats, resumedFrom: start, attempt: context.attempt };
  },
);

worker.register("wait-cancel", async (payload: { ms?: number }, context) => {
  process.stdout.write(`STARTED ${context.jobId}\n`);
  try {
    await sleep(Number(payload?.ms ?? 30_000), context.signal);
  } catch (error) {
    process.stdout.write(`CANCELLED ${context.jobId} ${context.cancelReason}\n`);
    throw error;
  }
  return { cancelled: false };
});

// Works on through cancellation: sleeps in steps of at most 100 ms (never woken by the signal).
worker.register("ignore-cancel", async (payload: { ms?: number; heartbeat?: boolean }, context) => {
  process.stdout.write(`STARTED ${context.jobId}\n`);
  const ms = Number(payload?.ms ?? 30_000);
  const start = performance.now();
  for (let i = 1; ; i++) {
    const remaining = ms - (performance.now() - start);
    if (remaining <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, remaining)));
    if (payload?.heartbeat === true) context.heartbeat({ i });
  }
  process.stdout.write(`IGNORED ${context.jobId} ${context.cancelReason ?? "none"}\n`);
  return { ignored: true };
});

try {
  await worker.start();
} catch (error) {
  // start() rejects with WorkerFatalError (already logged by the worker): exit non-zero.
  process.stderr.write(
    `conformance worker: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
