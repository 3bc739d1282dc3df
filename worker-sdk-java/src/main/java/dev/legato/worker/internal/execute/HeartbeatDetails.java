package dev.legato.worker.internal.execute;

/** Heartbeat details as the JSON text a {@code Progress} carries, checked at the call. */
public final class HeartbeatDetails {
  /** The largest details, in UTF-8 bytes of JSON text. */
  public static final long MAX_BYTES = 65_536;

  private HeartbeatDetails() {}

  /**
   * The details are not strict JSON or are too large ({@code JobContext} throws it as a {@code
   * SerializationError}).
   */
  public static final class InvalidException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The JSON text of {@code details}, or null for none (a Java null).
   *
   * @throws InvalidException if it is not strict JSON or is over {@link #MAX_BYTES} bytes
   */
  public static String encode(Object details) {
    if (details == null) {
      return null;
    }
    OutputEncoder.Encoded encoded;
    try {
      encoded = OutputEncoder.encode(details);
    } catch (OutputEncoder.NotJsonException e) {
      throw new InvalidException(
          "heartbeat details cannot be serialised to JSON: " + e.getMessage(), e);
    }
    if (encoded.bytes() > MAX_BYTES) {
      throw new InvalidException(
          "heartbeat details are "
              + encoded.bytes()
              + " bytes of JSON, over the limit of "
              + MAX_BYTES
              + " bytes",
          null);
    }
    return encoded.json();
  }
}
