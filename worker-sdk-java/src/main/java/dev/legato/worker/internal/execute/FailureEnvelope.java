package dev.legato.worker.internal.execute;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.legato.protocol.Failure;
import dev.legato.worker.ApplicationError;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Maps a handler's exception onto the schema's failure envelope (docs/protocol.md, step 4). */
public final class FailureEnvelope {
  public static final String UNKNOWN_ACTION = "UnknownAction";
  public static final String SERIALIZATION_ERROR = "SerializationError";
  public static final String INVALID_PAYLOAD = "InvalidPayload";

  private FailureEnvelope() {}

  public static Failure of(Throwable error) {
    String type = error.getClass().getSimpleName();
    boolean nonRetryable = false;
    String details = null;
    if (error instanceof ApplicationError app) {
      type = app.getType();
      nonRetryable = app.isNonRetryable();
      details = detailsJson(app.getDetails());
    }
    return Failure.newBuilder()
        .setType(type)
        .setMessage(messageOf(error))
        .setNonRetryable(nonRetryable)
        .setDetails(details)
        .setStackTrace(stackTraceOf(error))
        .build();
  }

  /** A failure the SDK itself raises (no exception to describe). */
  public static Failure of(String type, String message, boolean nonRetryable) {
    return Failure.newBuilder()
        .setType(type)
        .setMessage(message)
        .setNonRetryable(nonRetryable)
        .setDetails(null)
        .setStackTrace(null)
        .build();
  }

  static String messageOf(Throwable error) {
    String message = error.getMessage();
    return message != null ? message : "";
  }

  static String stackTraceOf(Throwable error) {
    StringWriter out = new StringWriter();
    error.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  private static String detailsJson(Object details) {
    if (details == null) {
      return null;
    }
    try {
      return Json.write(details);
    } catch (JsonProcessingException e) {
      try {
        return Json.write(String.valueOf(details));
      } catch (JsonProcessingException impossible) {
        return null;
      }
    }
  }
}
