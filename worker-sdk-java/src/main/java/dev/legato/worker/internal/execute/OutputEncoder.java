package dev.legato.worker.internal.execute;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import dev.legato.worker.internal.protocol.Utf8;
import java.io.IOException;
import java.io.StringWriter;

/**
 * A handler's return value as strict JSON text (RFC 8259): NaN and infinities, which Jackson would
 * write as strings, and strings with unpaired surrogates are refused.
 */
final class OutputEncoder {
  private OutputEncoder() {}

  /** Refused output, with the reason. */
  static final class NotJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    NotJsonException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The JSON text and its size in UTF-8 bytes. */
  record Encoded(String json, long bytes) {}

  static Encoded encode(Object value) throws NotJsonException {
    String json;
    try {
      StringWriter out = new StringWriter();
      try (JsonGenerator generator =
          new FiniteNumbers(Json.mapper().getFactory().createGenerator(out))) {
        Json.mapper().writeValue(generator, value);
      }
      json = out.toString();
    } catch (NonFiniteNumberException e) {
      throw new NotJsonException(e.getMessage(), e);
    } catch (IOException | RuntimeException | StackOverflowError e) {
      Throwable cause = e;
      while (cause.getCause() != null && cause.getCause() != cause) {
        if (cause.getCause() instanceof NonFiniteNumberException nonFinite) {
          throw new NotJsonException(nonFinite.getMessage(), e);
        }
        cause = cause.getCause();
      }
      throw new NotJsonException(describe(e), e);
    }
    try {
      return new Encoded(json, Utf8.strictLength(json));
    } catch (Utf8.LoneSurrogateException e) {
      throw new NotJsonException("the output contains an " + e.getMessage(), e);
    }
  }

  private static String describe(Throwable e) {
    if (e instanceof com.fasterxml.jackson.core.JsonProcessingException json) {
      return json.getOriginalMessage();
    }
    if (e instanceof StackOverflowError) {
      return "the output is nested too deeply (or cyclic)";
    }
    return e.toString();
  }

  private static final class NonFiniteNumberException extends IOException {
    private static final long serialVersionUID = 1L;

    NonFiniteNumberException(double value) {
      super("the output contains the number " + value + ", which JSON cannot represent");
    }
  }

  /** Fails on NaN and infinities instead of writing them (as strings, or as bare tokens). */
  private static final class FiniteNumbers extends JsonGeneratorDelegate {
    FiniteNumbers(JsonGenerator delegate) {
      super(delegate, false);
    }

    @Override
    public void writeNumber(double value) throws IOException {
      if (!Double.isFinite(value)) {
        throw new NonFiniteNumberException(value);
      }
      super.writeNumber(value);
    }

    @Override
    public void writeNumber(float value) throws IOException {
      if (!Float.isFinite(value)) {
        throw new NonFiniteNumberException(value);
      }
      super.writeNumber(value);
    }
  }
}
