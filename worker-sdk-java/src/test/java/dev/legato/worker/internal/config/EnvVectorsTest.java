package dev.legato.worker.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.legato.worker.internal.protocol.SchemasDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The forms of a LEGATO_* value, against the vectors the other SDKs and the orchestrator are tested
 * against (schemas/env/vectors.json; docs/configuration.md).
 */
class EnvVectorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNode VECTORS = vectors();

  /** What a blank value reads as: the variable keeps its default (no error message reads so). */
  private static final String DEFAULT = "(the default)";

  private static JsonNode vectors() {
    try {
      return JSON.readTree(SchemasDir.get().resolve("env").resolve("vectors.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The SDK has variables of every form but decimals (only the orchestrator's retention days). */
  static Stream<String> forms() {
    return Stream.of("text", "integer", "boolean", "logLevel");
  }

  /**
   * What {@code raw} means in {@code form}, as JSON (DEFAULT: it keeps the default), or the error
   * for a variable X.
   */
  private static Object read(String form, String raw, int minimum, int maximum) {
    String value = EnvValues.text(Map.of("X", raw), "X");
    if (value == null) {
      return DEFAULT;
    }
    try {
      return switch (form) {
        case "text" -> JSON.valueToTree(value);
        case "integer" -> JSON.valueToTree(EnvValues.integer("X", value, minimum, maximum));
        case "boolean" -> JSON.valueToTree(EnvValues.bool("X", value));
          // The Java SDK spells WARNING as SLF4J does (WorkerSettings.logLevel()): the same level.
        case "logLevel" ->
            JSON.valueToTree(EnvValues.logLevel("X", value).replace("WARN", "WARNING"));
        default -> throw new AssertionError("no form " + form);
      };
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  private static Object read(String form, String raw) {
    return read(form, raw, Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  @ParameterizedTest
  @MethodSource("forms")
  void theSharedVectors(String form) {
    JsonNode vectors = VECTORS.get("forms").get(form);
    for (JsonNode vector : vectors.get("accept")) {
      String raw = vector.get(0).asText();
      assertEquals(vector.get(1), read(form, raw), raw);
    }
    for (JsonNode vector : vectors.get("refuse")) {
      String raw = vector.asText();
      String shown = EnvValues.quote(EnvValues.trim(raw));
      String expected = "X must be " + vectors.get("form").asText() + ", got " + shown;
      assertEquals(expected, read(form, raw), raw);
    }
    for (JsonNode blank : VECTORS.get("blank")) {
      assertEquals(DEFAULT, read(form, blank.asText()), blank.toString());
    }
  }

  @Test
  void theSharedRangeVectors() {
    assertFalse(VECTORS.get("ranges").isEmpty());
    for (JsonNode range : VECTORS.get("ranges")) {
      assertEquals("integer", range.get("form").asText());
      int minimum = range.get("minimum").intValue();
      int maximum = range.has("maximum") ? range.get("maximum").intValue() : Integer.MAX_VALUE;
      for (JsonNode vector : range.get("accept")) {
        String raw = vector.asText();
        int number = new BigInteger(raw.strip()).intValueExact();
        assertEquals(JSON.valueToTree(number), read("integer", raw, minimum, maximum), raw);
      }
      for (JsonNode vector : range.get("refuse")) {
        String raw = vector.get(0).asText();
        String expected = "X must be " + vector.get(1).asText() + ", got " + new BigInteger(raw);
        assertEquals(expected, read("integer", raw, minimum, maximum), raw);
      }
    }
  }

  @Test
  void theSharedQuotingVectors() {
    assertFalse(VECTORS.get("quoting").isEmpty());
    for (JsonNode vector : VECTORS.get("quoting")) {
      String raw = vector.get(0).asText();
      String shown = vector.get(1).asText();
      assertEquals(shown, EnvValues.quote(raw), raw);
      assertEquals("X must be an integer, got " + shown, read("integer", raw), raw);
    }
  }
}
