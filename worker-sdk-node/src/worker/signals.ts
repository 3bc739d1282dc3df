/** SIGTERM/SIGINT: drain and exit 0; a second signal exits at once. */

import type { Logger } from "../logging.js";

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** Grace period for the application to finish after the worker stopped, before exit(0). */
const EXIT_GRACE_MS = 2_000;

export function installSignalHandlers(logger: Logger, stop: () => Promise<void>): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      logger.warning("second signal: exiting without draining", { signal });
      process.exit(1);
    }
    received = true;
    logger.info("signal received: draining", { signal });
    void stop().finally(() => {
      process.exitCode = 0;
      setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
    });
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return () => {
    if (received) return; // keep catching a second signal until the process exits
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
}
