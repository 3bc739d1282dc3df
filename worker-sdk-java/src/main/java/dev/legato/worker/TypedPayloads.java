package dev.legato.worker;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.legato.worker.internal.execute.FailureEnvelope;

/**
 * The conversion at a typed handler's boundary: the payload to its input type, its return value to
 * JSON. A value that does not convert fails the attempt, not retryably, with error type {@code
 * InvalidPayload} and a message that says input or output and which field ({@code input: total:
 * ...}).
 */
final class TypedPayloads {
  /**
   * Strict where a silent guess would change the data: unknown properties, null or missing for a
   * primitive, and a fraction for an integer are errors.
   */
  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

  private TypedPayloads() {}

  /** {@code handler} as an untyped handler that converts at both ends. */
  static <I> Handler bind(JavaType inputType, TypedHandler<I, ?> handler) {
    return payload -> {
      I input = input(payload, inputType);
      Object output = handler.handle(input, JobContext.current());
      return output(output);
    };
  }

  static <I> I input(JsonNode payload, JavaType type) {
    try {
      return MAPPER.convertValue(payload, type);
    } catch (IllegalArgumentException e) {
      throw invalid("input", e);
    }
  }

  static JsonNode output(Object value) {
    try {
      return MAPPER.valueToTree(value);
    } catch (IllegalArgumentException e) {
      throw invalid("output", e);
    }
  }

  private static NonRetryableError invalid(String side, IllegalArgumentException e) {
    String message = side + ": " + describe(e);
    return new NonRetryableError(message, FailureEnvelope.INVALID_PAYLOAD, null, e);
  }

  /** {@code field.path[0]: what is wrong}, from Jackson's error (convertValue wraps it). */
  static String describe(Throwable error) {
    Throwable cause = error.getCause() instanceof JsonMappingException ? error.getCause() : error;
    if (!(cause instanceof JsonMappingException mapping)) {
      return String.valueOf(error.getMessage());
    }
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : mapping.getPath()) {
      if (ref.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    String what = mapping.getOriginalMessage();
    what = what == null ? cause.toString() : what.lines().findFirst().orElse(what);
    return path.length() == 0 ? what : path + ": " + what;
  }
}
