package dev.legato.worker;

/**
 * A value the SDK must send as JSON is not strict JSON (NaN or an infinity, an unpaired UTF-16
 * surrogate, a cycle, a value Jackson cannot serialise) or is too large. Thrown to the caller by
 * {@link JobContext#heartbeat(Object)} for details that are not strict JSON or are over 65,536
 * bytes of JSON text.
 */
public class SerializationError extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public SerializationError(String message) {
    super(message);
  }

  public SerializationError(String message, Throwable cause) {
    super(message, cause);
  }
}
