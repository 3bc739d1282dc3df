package dev.legato.worker;

import dev.legato.worker.internal.execute.DescribedFailure;

/**
 * A handler failure with an explicit error type, retryability and details, mapped onto the result's
 * failure envelope: {@code type} (defaults to the class's simple name), {@code message}, {@code
 * nonRetryable} and {@code details} (serialised to JSON).
 *
 * <p>The root of the SDK's exceptions. Unchecked, so handlers written as lambdas can throw it.
 */
public class ApplicationError extends RuntimeException implements DescribedFailure {
  private final String type;
  private final boolean nonRetryable;
  private final transient Object details;

  /** A retryable error whose type is the class's simple name. */
  public ApplicationError(String message) {
    this(message, null, false, null, null);
  }

  /** A retryable error of the given type. */
  public ApplicationError(String message, String type) {
    this(message, type, false, null, null);
  }

  /** A retryable error of the given type with details (any value Jackson can serialise). */
  public ApplicationError(String message, String type, Object details) {
    this(message, type, false, details, null);
  }

  public ApplicationError(String message, String type, boolean nonRetryable, Object details) {
    this(message, type, nonRetryable, details, null);
  }

  /**
   * @param message the failure message
   * @param type the error type the orchestrator sees (matched by {@code nonRetryableErrors}); null
   *     means the class's simple name
   * @param nonRetryable true: the orchestrator skips the remaining retries
   * @param details extra data, serialised to JSON; may be null
   * @param cause the underlying exception; may be null
   */
  public ApplicationError(
      String message, String type, boolean nonRetryable, Object details, Throwable cause) {
    super(message, cause);
    this.type = type;
    this.nonRetryable = nonRetryable;
    this.details = details;
  }

  /** The error type as published: the given type, else the class's simple name. */
  @Override
  public String getType() {
    return type != null ? type : getClass().getSimpleName();
  }

  @Override
  public boolean isNonRetryable() {
    return nonRetryable;
  }

  /** The details given at construction, or null. */
  @Override
  public Object getDetails() {
    return details;
  }
}
