/** Runs an in-process Worker for a test and guarantees it is stopped afterwards. */

import type { TestContext } from "node:test";
import { Worker } from "../../src/index.js";

export function startWorker(
  t: TestContext,
  env: Record<string, string>,
  setup: (worker: Worker) => void,
): { worker: Worker; done: Promise<void> } {
  const worker = new Worker({ env, handleSignals: false });
  setup(worker);
  const done = worker.start();
  t.after(async () => {
    await worker.stop();
    await done.catch(() => undefined);
  });
  return { worker, done };
}

/** A promise with its resolve function, for handlers that wait on the test. */
export function latch<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
