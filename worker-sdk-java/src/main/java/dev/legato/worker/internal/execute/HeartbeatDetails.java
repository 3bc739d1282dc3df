package dev.legato.worker.internal.execute;

import dev.legato.worker.SerializationError;

/** Heartbeat details as the JSON text a {@code Progress} carries, checked at the call. */
public final class HeartbeatDetails {
  /** The largest details, in UTF-8 bytes of JSON text. */
  public static final long MAX_BYTES = 65_536;

  private HeartbeatDetails() {}

  /**
   * The JSON text of {@code details}, or null for none (a Java null).
   *
   * @throws SerializationError if it is not strict JSON or is over {@link #MAX_BYTES} bytes
   */
  public static String encode(Object details) {
    if (details == null) {
      return null;
    }
    OutputEncoder.Encoded encoded;
    try {
      encoded = OutputEncoder.encode(details);
    } catch (OutputEncoder.NotJsonException e) {
      throw new SerializationError(
          "heartbeat details cannot be serialised to JSON: " + e.getMessage(), e);
    }
    if (encoded.bytes() > MAX_BYTES) {
      throw new SerializationError(
          "heartbeat details are "
              + encoded.bytes()
              + " bytes of JSON, over the limit of "
              + MAX_BYTES
              + " bytes");
    }
    return encoded.json();
  }
}
