package dev.legato.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Comparator;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Canonical JSON against Jackson's sorted compact output, and Ref.step's quoting. */
class CanonicalJsonPropertiesTest {
  private static final ObjectMapper SORTED =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  /**
   * Numbers equal as a reader of the text sees them: a double as a double (1.8014398509481984E16 is
   * written 18014398509481990, which reads back as the same double), integers exactly.
   */
  private static final Comparator<JsonNode> NUMERICALLY =
      (a, b) -> {
        if (!a.isNumber() || !b.isNumber()) {
          return a.equals(b) ? 0 : 1;
        }
        if (a.isFloatingPointNumber() || b.isFloatingPointNumber()) {
          return Double.compare(a.doubleValue(), b.doubleValue());
        }
        return a.bigIntegerValue().compareTo(b.bigIntegerValue());
      };

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /**
   * Where the two agree by construction (ASCII keys, no controls, integers), the canonical text is
   * Jackson's sorted compact text.
   */
  @Property
  void equalsSortedCompactJson(@ForAll("plainJson") Object value) throws Exception {
    assertEquals(SORTED.writeValueAsString(value), CanonicalJson.write(value));
  }

  /** For any value (any string, any finite double), the text parses back to the same tree. */
  @Property
  void readsBackAsTheSameValue(@ForAll("anyJson") Object value) throws Exception {
    String text = CanonicalJson.write(value);
    JsonNode expected = SORTED.valueToTree(value);
    assertTrue(expected.equals(NUMERICALLY, SORTED.readTree(text)), text);
    assertFalse(text.contains("\n"));
  }

  @Property
  void doublesRoundTripInAtMostSeventeenDigits(@ForAll double value) {
    String text = CanonicalJson.write(value);
    assertEquals(value == 0 ? 0.0 : value, Double.parseDouble(text));
    assertFalse(text.endsWith(".0"));
  }

  @Property
  void stepRefQuotesOnlyWhatJmesPathNeedsQuoted(
      @ForAll("stepIds") String id, @ForAll("paths") String path) throws Exception {
    String ref = Ref.step(id, path);
    assertTrue(ref.startsWith("${steps.") && ref.endsWith("." + path + "}"), ref);
    String written = ref.substring("${steps.".length(), ref.length() - path.length() - 2);
    if (IDENTIFIER.matcher(id).matches()) {
      assertEquals(id, written);
    } else {
      assertTrue(written.startsWith("\"") && written.endsWith("\""), written);
      assertEquals(id, SORTED.readValue(written, String.class)); // a JSON string: the id back
    }
  }

  @Provide
  Arbitrary<String> stepIds() {
    Arbitrary<String> valid =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .withCharRange('A', 'Z')
            .withCharRange('0', '9')
            .withChars('.', '_', '-')
            .ofMinLength(1)
            .ofMaxLength(20);
    return Arbitraries.oneOf(valid, Arbitraries.strings().ofMinLength(1).ofMaxLength(10));
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.of("output", "output.total", "output.items[0].sku");
  }

  @Provide
  Arbitrary<Object> plainJson() {
    Arbitrary<Object> leaf =
        Arbitraries.<Object>oneOf(
                Arbitraries.strings().withCharRange(' ', '~').withCharRange('\u00a0', '\ud7ff'),
                Arbitraries.longs(),
                Arbitraries.of(true, false))
            .injectNull(0.1);
    return tree(leaf, Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(6), 3);
  }

  @Provide
  Arbitrary<Object> anyJson() {
    Arbitrary<Object> leaf =
        Arbitraries.<Object>oneOf(
                Arbitraries.strings(),
                Arbitraries.longs(),
                Arbitraries.doubles().filter(Double::isFinite),
                Arbitraries.of(true, false))
            .injectNull(0.1);
    return tree(leaf, Arbitraries.strings().ofMaxLength(6), 3);
  }

  private static Arbitrary<Object> tree(Arbitrary<Object> leaf, Arbitrary<String> keys, int depth) {
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<Object> inner = tree(leaf, keys, depth - 1);
    return Arbitraries.frequencyOf(
        Tuple.of(4, leaf),
        Tuple.of(1, inner.list().ofMaxSize(4).map(list -> (Object) list)),
        Tuple.of(1, Arbitraries.maps(keys, inner).ofMaxSize(4).map(map -> (Object) map)));
  }
}
