/**
 * The conformance worker: the actions every SDK implements for tests/conformance (config from
 * LEGATO_* env). Run through ./run-worker after `npm run build`.
 */

import { ApplicationError, NonRetryableError, Worker } from "legato-worker";

const worker = new Worker();

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

try {
  await worker.start();
} catch (error) {
  // start() rejects with WorkerFatalError (already logged by the worker): exit non-zero.
  process.stderr.write(
    `conformance worker: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
