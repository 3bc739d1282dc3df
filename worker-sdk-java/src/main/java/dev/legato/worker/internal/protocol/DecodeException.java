package dev.legato.worker.internal.protocol;

/** The bytes are not a Legato message this reader knows: a poison pill. */
public final class DecodeException extends Exception {
  public DecodeException(String message) {
    super(message);
  }

  public DecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
