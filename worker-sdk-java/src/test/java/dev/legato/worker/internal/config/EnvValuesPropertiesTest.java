package dev.legato.worker.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Whitespace;

/** The shared parsing rules of the LEGATO_* variables, as properties. */
class EnvValuesPropertiesTest {
  @Provide
  Arbitrary<String> padding() {
    return Arbitraries.strings().withChars(" \t\n\r").ofMaxLength(4);
  }

  @Property
  void anIntegerSurroundedByWhitespaceParses(
      @ForAll int value, @ForAll("padding") String left, @ForAll("padding") String right) {
    assertEquals(value, EnvValues.integer("X", left + value + right));
  }

  @Property
  void textThatIsNotADecimalIntegerIsRefusedNamingTheVariable(@ForAll String text) {
    String trimmed = EnvValues.trim(text);
    if (trimmed.matches("[+-]?[0-9]+") && fitsAnInt(trimmed)) {
      return;
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EnvValues.integer("LEGATO_X", text));
    assertTrue(e.getMessage().contains("LEGATO_X"));
  }

  private static boolean fitsAnInt(String digits) {
    try {
      Integer.parseInt(digits);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  @Property
  void blankValuesAreUnset(@ForAll @Whitespace String blank) {
    assertNull(EnvValues.text(Map.of("V", blank), "V"));
  }

  @Property
  void booleansInAnyCase(
      @ForAll("booleanWords") String word, @ForAll @IntRange(min = 0, max = 1023) int caseBits) {
    StringBuilder mixed = new StringBuilder();
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      mixed.append((caseBits >> i & 1) == 1 ? Character.toUpperCase(c) : c);
    }
    boolean expected = word.equals("true") || word.equals("1") || word.equals("yes");
    assertEquals(expected, EnvValues.bool("B", " " + mixed + " "));
  }

  @Provide
  Arbitrary<String> booleanWords() {
    return Arbitraries.of("true", "false", "1", "0", "yes", "no");
  }

  @Property
  void anythingElseIsNotABoolean(@ForAll String text) {
    String t = EnvValues.trim(text).toLowerCase(Locale.ROOT);
    if (java.util.Set.of("true", "false", "1", "0", "yes", "no").contains(t)) {
      return;
    }
    assertThrows(IllegalArgumentException.class, () -> EnvValues.bool("B", text));
  }
}
