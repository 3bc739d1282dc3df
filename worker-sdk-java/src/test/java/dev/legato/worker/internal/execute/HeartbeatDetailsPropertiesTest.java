package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.legato.worker.internal.protocol.Utf8;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** heartbeat(details): strict JSON of at most 65,536 bytes, checked at the call. */
class HeartbeatDetailsPropertiesTest {
  @Property
  void jsonValuesAreAcceptedAndReadBackAsGiven(
      @ForAll @Size(max = 8) Map<@StringLength(max = 12) String, Integer> counts,
      @ForAll @StringLength(max = 40) String cursor,
      @ForAll double ratio,
      @ForAll boolean flag)
      throws Exception {
    if (!Double.isFinite(ratio) || !wellFormed(cursor)) {
      return;
    }
    Map<String, Object> details = new HashMap<>();
    details.put("counts", counts);
    details.put("cursor", cursor);
    details.put("ratio", ratio);
    details.put("flag", flag);
    details.put("list", List.of(1, "two", false));
    String json = HeartbeatDetails.encode(details);
    JsonNode read = Json.parse(json);
    assertEquals(Json.mapper().valueToTree(details), read);
    assertTrue(json.getBytes(StandardCharsets.UTF_8).length <= HeartbeatDetails.MAX_BYTES);
  }

  @Property
  void nonFiniteNumbersAreRefused(@ForAll("nonFinite") double value) {
    HeartbeatDetails.InvalidException e =
        assertThrows(
            HeartbeatDetails.InvalidException.class,
            () -> HeartbeatDetails.encode(Map.of("value", value)));
    assertTrue(e.getMessage().contains("JSON"), e.getMessage());
    assertTrue(e instanceof IllegalArgumentException);
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<Double> nonFinite() {
    return net.jqwik.api.Arbitraries.of(
        Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
  }

  @Property
  void loneSurrogatesAreRefused(
      @ForAll @StringLength(max = 20) String before,
      @ForAll @IntRange(min = 0xD800, max = 0xDFFF) int unit) {
    String text = before.replaceAll("[\\uD800-\\uDFFF]", "") + (char) unit;
    assertThrows(
        HeartbeatDetails.InvalidException.class, () -> HeartbeatDetails.encode(Map.of("s", text)));
  }

  @Property(tries = 30)
  void theSizeLimitIs65536BytesOfJsonText(
      @ForAll @IntRange(min = 65_000, max = 66_000) int length) {
    String value = "x".repeat(length); // JSON text: the string plus its two quotes
    if (length + 2 <= HeartbeatDetails.MAX_BYTES) {
      assertEquals("\"" + value + "\"", HeartbeatDetails.encode(value));
    } else {
      HeartbeatDetails.InvalidException e =
          assertThrows(
              HeartbeatDetails.InvalidException.class, () -> HeartbeatDetails.encode(value));
      assertTrue(e.getMessage().contains("65536"), e.getMessage());
    }
  }

  @Example
  void nullMeansNoDetailsAndCyclesAreRefused() {
    assertNull(HeartbeatDetails.encode(null));
    Map<String, Object> cycle = new HashMap<>();
    cycle.put("self", cycle);
    assertThrows(HeartbeatDetails.InvalidException.class, () -> HeartbeatDetails.encode(cycle));
  }

  private static boolean wellFormed(String text) {
    try {
      Utf8.strictLength(text);
      return true;
    } catch (Utf8.LoneSurrogateException e) {
      return false;
    }
  }
}
