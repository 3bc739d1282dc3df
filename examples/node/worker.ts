/**
 * The Node example worker (same actions and names as the Python and Java examples).
 * Config from LEGATO_* env vars; SIGTERM/SIGINT drain in-flight jobs, then exit.
 */

import { Worker } from "legato-worker";

const worker = new Worker();

worker.register("step1", (payload) => `Node processed: ${String(payload)}`);

worker.register("step2", (payload) => `Node step 2 done: ${String(payload)}`);

worker.register("hand-node", (payload: { trail?: unknown[] } | null) => ({
  trail: [...(payload?.trail ?? []), `node ${process.version}`],
}));

await worker.start();
