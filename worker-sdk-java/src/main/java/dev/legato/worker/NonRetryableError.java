package dev.legato.worker;

/** An {@link ApplicationError} that tells the orchestrator not to retry the step. */
public class NonRetryableError extends ApplicationError {
  public NonRetryableError(String message) {
    super(message, null, true, null, null);
  }

  public NonRetryableError(String message, String type) {
    super(message, type, true, null, null);
  }

  public NonRetryableError(String message, String type, Object details) {
    super(message, type, true, details, null);
  }

  public NonRetryableError(String message, String type, Object details, Throwable cause) {
    super(message, type, true, details, cause);
  }
}
