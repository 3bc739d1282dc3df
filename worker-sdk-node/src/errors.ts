/**
 * The errors a handler throws to shape its failure envelope (docs/protocol.md, "Worker behaviour").
 * Every error this package defines derives from LegatoError (except SerializationError, a
 * TypeError as the protocol asks); retryability is a property.
 */

export class LegatoError extends Error {
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ApplicationErrorOptions {
  /** The failure type the orchestrator sees (default: the error class's name). */
  type?: string;
  /** Extra data, sent as JSON text in `failure.details`. */
  details?: unknown;
  /** True: the orchestrator skips the remaining retries. */
  nonRetryable?: boolean;
  cause?: unknown;
}

/** A handler failure with an explicit type, details and retryability. */
export class ApplicationError extends LegatoError {
  readonly type: string | undefined;
  readonly details: unknown;
  readonly nonRetryable: boolean;

  constructor(message: string, options: ApplicationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.type = options.type;
    this.details = options.details;
    this.nonRetryable = options.nonRetryable ?? false;
  }
}

/** A failure that retrying cannot fix (a declined card, invalid input): no further attempts. */
export class NonRetryableError extends ApplicationError {
  constructor(message: string, options: Omit<ApplicationErrorOptions, "nonRetryable"> = {}) {
    super(message, { ...options, nonRetryable: true });
  }
}

/** A LEGATO_* variable has an invalid value. */
export class SettingsError extends LegatoError {}

/**
 * The worker stopped because of an error it cannot recover from (an authorization or
 * authentication failure, a fenced producer, or a failure at start): `Worker.start()` rejects
 * with it, and the process should exit non-zero.
 */
export class WorkerFatalError extends LegatoError {}

/**
 * A value has no strict JSON form (NaN, +/-Infinity, BigInt, a cycle, a lone surrogate, a
 * function), or heartbeat details are over 65,536 bytes of JSON text. A TypeError (protocol v2).
 */
export class SerializationError extends TypeError {
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SerializationError";
  }
}

/**
 * Why an attempt was cancelled: a Cancel record's reason (RunCancelled, RunEnded, Superseded,
 * ScheduleToStartTimeout, StartToCloseTimeout, HeartbeatTimeout), or StartToCloseTimeout /
 * WorkerShutdown when the worker itself cancels.
 */
export type CancelReason = string;

/**
 * The attempt was cancelled: `context.signal.reason` once `context.signal` aborted, so
 * `context.signal.throwIfAborted()` throws it. Its result is still sent (and ignored as late).
 */
export class AttemptCancelled extends LegatoError {
  constructor(readonly reason: CancelReason) {
    super(`the attempt was cancelled (${reason})`);
  }
}
