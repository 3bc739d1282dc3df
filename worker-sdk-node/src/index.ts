/** legato-worker: the Node.js worker SDK of Legato. */

export {
  ApplicationError,
  AttemptCancelled,
  LegatoError,
  NonRetryableError,
  SerializationError,
  SettingsError,
  WorkerFatalError,
} from "./errors.js";
export type { ApplicationErrorOptions, CancelReason } from "./errors.js";
export { loadSettings } from "./settings.js";
export type { KafkaSecurity, SaslMechanism, SecurityProtocol, Settings } from "./settings.js";
export { Secret } from "./secret.js";
export type { LogLevel } from "./logging.js";
export { Worker } from "./worker/worker.js";
export type { WorkerOptions } from "./worker/worker.js";
export { systemClock } from "./worker/clock.js";
export type { Clock, TimerHandle, WallClock } from "./worker/clock.js";
export type { Handler, JobContext } from "./worker/execute.js";
export { SDK, SDK_VERSION } from "./_package.js";
export * as protocol from "./protocol/index.js";
