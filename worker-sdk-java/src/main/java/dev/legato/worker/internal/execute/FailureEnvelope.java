package dev.legato.worker.internal.execute;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.legato.protocol.Failure;
import dev.legato.worker.internal.protocol.EnvelopeCaps;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Maps a handler's exception onto the schema's failure envelope (docs/protocol.md, step 4), capped
 * by {@link EnvelopeCaps}.
 */
public final class FailureEnvelope {
  public static final String UNKNOWN_ACTION = "UnknownAction";
  public static final String SERIALIZATION_ERROR = "SerializationError";
  public static final String INVALID_PAYLOAD = "InvalidPayload";
  public static final String RESULT_TOO_LARGE = "ResultTooLarge";

  private FailureEnvelope() {}

  public static Failure of(Throwable error) {
    String type = typeOf(error);
    boolean nonRetryable = false;
    String details = null;
    if (error instanceof DescribedFailure app) {
      type = app.getType();
      nonRetryable = app.isNonRetryable();
      details = detailsJson(app.getDetails());
    }
    return Failure.newBuilder()
        .setType(type)
        .setMessage(EnvelopeCaps.cap(messageOf(error), EnvelopeCaps.MESSAGE_CHARS))
        .setNonRetryable(nonRetryable)
        .setDetails(EnvelopeCaps.capDetails(details))
        .setStackTrace(EnvelopeCaps.cap(stackTraceOf(error), EnvelopeCaps.STACK_TRACE_CHARS))
        .build();
  }

  /** A failure the SDK itself raises (no exception to describe). */
  public static Failure of(String type, String message, boolean nonRetryable) {
    return Failure.newBuilder()
        .setType(type)
        .setMessage(EnvelopeCaps.cap(message, EnvelopeCaps.MESSAGE_CHARS))
        .setNonRetryable(nonRetryable)
        .setDetails(null)
        .setStackTrace(null)
        .build();
  }

  /** A failure the SDK raises because of {@code cause}, whose stack trace it carries. */
  public static Failure of(String type, String message, boolean nonRetryable, Throwable cause) {
    Failure failure = of(type, message, nonRetryable);
    failure.setStackTrace(EnvelopeCaps.cap(stackTraceOf(cause), EnvelopeCaps.STACK_TRACE_CHARS));
    return failure;
  }

  /** The class's simple name; the full name for anonymous classes, which have none. */
  static String typeOf(Throwable error) {
    String simple = error.getClass().getSimpleName();
    return simple.isEmpty() ? error.getClass().getName() : simple;
  }

  static String messageOf(Throwable error) {
    try {
      String message = error.getMessage();
      return message != null ? message : "";
    } catch (RuntimeException e) {
      return "(getMessage() threw " + e.getClass().getName() + ")";
    }
  }

  static String stackTraceOf(Throwable error) {
    try {
      StringWriter out = new StringWriter();
      error.printStackTrace(new PrintWriter(out));
      return out.toString();
    } catch (RuntimeException | StackOverflowError e) {
      return error.getClass().getName(); // a toString() that throws, or a cause cycle too deep
    }
  }

  private static String detailsJson(Object details) {
    if (details == null) {
      return null;
    }
    try {
      return Json.write(details);
    } catch (JsonProcessingException | RuntimeException | StackOverflowError e) {
      try {
        return Json.write(String.valueOf(details));
      } catch (JsonProcessingException | RuntimeException impossible) {
        return null;
      }
    }
  }
}
