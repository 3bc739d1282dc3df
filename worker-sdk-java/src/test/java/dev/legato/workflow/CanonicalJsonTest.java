package dev.legato.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
  @Test
  void numbersAsEcmaScriptWritesThem() {
    assertEquals("30", CanonicalJson.write(30.0));
    assertEquals("2.5", CanonicalJson.write(2.5));
    assertEquals("0.25", CanonicalJson.write(0.25));
    assertEquals("0.1", CanonicalJson.write(0.1f));
    assertEquals("-0.000001", CanonicalJson.write(-1e-6));
    assertEquals("1e-7", CanonicalJson.write(1e-7));
    assertEquals("1.5e+21", CanonicalJson.write(1.5e21));
    assertEquals("100000000000000000000", CanonicalJson.write(1e20));
    assertEquals("0", CanonicalJson.write(-0.0));
    assertEquals(
        "12345678901234567890",
        CanonicalJson.write(new java.math.BigInteger("12345678901234567890")));
    assertEquals("0.30000000000000004", CanonicalJson.write(0.1 + 0.2));
    assertThrows(IllegalArgumentException.class, () -> CanonicalJson.write(Double.NaN));
  }

  @Test
  void stringsKeepNonAsciiAndSlashAndEscapeControls() {
    assertEquals("\"Grüße/東京 ✓\"", CanonicalJson.write("Grüße/東京 ✓"));
    assertEquals("\"a\\\"\\\\\\n\\t\\u0001\\u001f\"", CanonicalJson.write("a\"\\\n\t\u0001\u001f"));
    assertEquals("\"\\ud800x\"", CanonicalJson.write("\ud800x"));
    assertEquals("\"\uD83D\uDE00\"", CanonicalJson.write("\uD83D\uDE00"));
  }

  @Test
  void keysInCodePointOrder() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("\uFF01", 1); // U+FF01 sorts before U+1F600 by code point, after it by UTF-16 unit
    map.put("\uD83D\uDE00", 2);
    map.put("b", List.of(Map.of("z", 1, "a", true)));
    map.put("a", null);
    assertEquals(
        "{\"a\":null,\"b\":[{\"a\":true,\"z\":1}],\"\uFF01\":1,\"\uD83D\uDE00\":2}",
        CanonicalJson.write(map));
  }
}
