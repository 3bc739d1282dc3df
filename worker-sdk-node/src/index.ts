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
export type { HandlerSchemas, Schema } from "./worker/typed.js";
export { SDK, SDK_VERSION } from "./_package.js";
export { Client } from "./client/client.js";
export type {
  DefinitionBody,
  ListRunsOptions,
  SignalOptions,
  TriggerOptions,
} from "./client/client.js";
export type { ClientOptions } from "./client/config.js";
export {
  ApiError,
  AwaitTimeout,
  Conflict,
  ConnectionFailed,
  Forbidden,
  InvalidRequest,
  NotFound,
  PayloadTooLarge,
  RateLimited,
  RunCancelled,
  RunFailed,
  ServerError,
  Unauthorized,
} from "./client/errors.js";
export { RunHandle } from "./client/run.js";
export type {
  AwaitOptions,
  DefinitionAnswer,
  EventsOptions,
  Run,
  RunChange,
  RunEvent,
  RunStatus,
  RunStep,
  RunSummary,
  SignalSent,
} from "./client/run.js";
export { Workflow } from "./workflow/workflow.js";
export type { Concurrency, WorkflowOptions } from "./workflow/workflow.js";
export { InvalidWorkflow } from "./workflow/steps.js";
export type {
  ChildOptions,
  Placement,
  RetryPolicy,
  SignalStepOptions,
  StepOptions,
  WaitOptions,
} from "./workflow/steps.js";
export { ref, stepRef } from "./workflow/refs.js";
export { canonicalJson } from "./workflow/canonical-json.js";
export * as protocol from "./protocol/index.js";
