package dev.legato.worker;

/**
 * The attempt was cancelled (see {@link JobContext#isCancelled()}): thrown by {@link
 * JobContext#throwIfCancelled()}, and what a cancelled handler's {@code InterruptedException} is
 * reported as. The result is FAILED with type {@code AttemptCancelled} (retryable): the
 * orchestrator ignores the late result of a withdrawn or timed-out attempt. An attempt the worker
 * cancelled at shutdown ({@code WorkerShutdown}) is answered FAILED with type {@code
 * WorkerShutdown} instead, and queued again without using an attempt.
 */
public class AttemptCancelled extends ApplicationError {
  private static final long serialVersionUID = 1L;

  private final String reason;

  /**
   * @param reason the cancellation reason ({@link JobContext#cancelReason()}), e.g. {@code
   *     RunCancelled}
   */
  public AttemptCancelled(String reason) {
    this(reason, null);
  }

  public AttemptCancelled(String reason, Throwable cause) {
    super(
        "attempt cancelled: " + (reason == null ? "Cancelled" : reason),
        "AttemptCancelled",
        false,
        null,
        cause);
    this.reason = reason == null ? "Cancelled" : reason;
  }

  /** Why the attempt was cancelled. */
  public String getReason() {
    return reason;
  }
}
