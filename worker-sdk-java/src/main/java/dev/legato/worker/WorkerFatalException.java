package dev.legato.worker;

/**
 * The worker stopped because of an error it cannot ride out: a fatal Kafka producer error (failed
 * authentication or authorization, a fenced producer, ...) or a consumer that failed. Thrown by
 * {@link Worker#start()} (and completes {@link Worker#startAsync()}'s future) once the worker has
 * stopped. A process that runs only this worker should exit non-zero.
 */
public class WorkerFatalException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WorkerFatalException(String message, Throwable cause) {
    super(message, cause);
  }
}
