package dev.legato.worker.internal.execute;

/**
 * An exception that names its own failure envelope: the API's {@code ApplicationError} implements
 * it, so {@link FailureEnvelope} maps it without depending on the API's types.
 */
public interface DescribedFailure {
  /** The error type as published. */
  String getType();

  boolean isNonRetryable();

  /** Extra data, serialised to JSON; may be null. */
  Object getDetails();
}
