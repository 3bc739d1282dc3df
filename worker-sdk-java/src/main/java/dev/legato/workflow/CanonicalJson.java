package dev.legato.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The canonical JSON text of a value, as every Legato SDK writes it (the builders' golden files):
 * object keys sorted by Unicode code point, no whitespace, non-ASCII characters as themselves,
 * {@code /} not escaped, integers without a fraction ({@code 30}, never {@code 30.0}) and other
 * numbers in their shortest round-tripping form, written as ECMAScript writes them ({@code 2.5},
 * {@code 1e-7}, {@code 1e+21}; a double above 2^53 as {@code 18014398509481990}, which reads back
 * as the same double). Control characters and unpaired surrogates are {@code \}{@code u00xx}
 * escapes (lowercase hex); {@code \b \f \n \r \t} their short escapes.
 *
 * <p>Written here rather than by Jackson's {@code ORDER_MAP_ENTRIES_BY_KEYS}: that sorts keys by
 * UTF-16 code unit (not code point), only sorts Maps (not a {@link JsonNode} input), writes {@code
 * 30.0} for a double and uppercase hex escapes, each of which would make the text differ from the
 * other SDKs'.
 */
public final class CanonicalJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private CanonicalJson() {}

  /**
   * The canonical text of {@code value}: a {@link JsonNode}, or anything Jackson converts to one
   * (Maps, Lists, Strings, numbers, booleans, null, records, ...).
   *
   * @throws IllegalArgumentException for a NaN or infinite number, or a value Jackson cannot
   *     convert
   */
  public static String write(Object value) {
    JsonNode tree = value instanceof JsonNode node ? node : MAPPER.valueToTree(value);
    StringBuilder out = new StringBuilder();
    write(tree, out);
    return out.toString();
  }

  /** {@code text} as a JSON string literal, quotes included. */
  public static String quote(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2);
    string(text, out);
    return out.toString();
  }

  private static void write(JsonNode node, StringBuilder out) {
    switch (node.getNodeType()) {
      case OBJECT -> object(node, out);
      case ARRAY -> {
        out.append('[');
        for (int i = 0; i < node.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          write(node.get(i), out);
        }
        out.append(']');
      }
      case STRING -> string(node.textValue(), out);
      case NUMBER -> out.append(number(node));
      case BOOLEAN -> out.append(node.booleanValue());
      case NULL, MISSING -> out.append("null");
      default ->
          throw new IllegalArgumentException("not a JSON value: " + node.getNodeType() + " node");
    }
  }

  private static void object(JsonNode node, StringBuilder out) {
    List<String> keys = new ArrayList<>(node.size());
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      keys.add(names.next());
    }
    keys.sort(CanonicalJson::byCodePoint);
    out.append('{');
    boolean first = true;
    for (String key : keys) {
      if (!first) {
        out.append(',');
      }
      first = false;
      string(key, out);
      out.append(':');
      write(node.get(key), out);
    }
    out.append('}');
  }

  /** Orders strings by Unicode code point (String.compareTo orders by UTF-16 code unit). */
  static int byCodePoint(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  private static void string(String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || lone(text, i)) {
            escape(c, out);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Whether the char at {@code i} is a surrogate that is not half of a pair. */
  private static boolean lone(String text, int i) {
    char c = text.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
    }
    return false;
  }

  private static void escape(char c, StringBuilder out) {
    out.append("\\u")
        .append(HEX[(c >> 12) & 0xF])
        .append(HEX[(c >> 8) & 0xF])
        .append(HEX[(c >> 4) & 0xF])
        .append(HEX[c & 0xF]);
  }

  private static String number(JsonNode node) {
    if (node.isIntegralNumber()) {
      return node.bigIntegerValue().toString();
    }
    double value =
        node.isFloat() ? Double.parseDouble(Float.toString(node.floatValue())) : node.doubleValue();
    return number(value);
  }

  /** A double as ECMAScript's Number::toString writes it (shortest round-tripping digits). */
  static String number(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("not a JSON number: " + value);
    }
    if (value == 0) {
      return "0";
    }
    BigDecimal digits = shortest(value);
    String sign = digits.signum() < 0 ? "-" : "";
    String d = digits.unscaledValue().abs().toString();
    int k = d.length();
    int n = k - digits.scale(); // value = 0.d x 10^n
    if (k <= n && n <= 21) {
      return sign + d + "0".repeat(n - k);
    }
    if (0 < n && n <= 21) {
      return sign + d.substring(0, n) + "." + d.substring(n);
    }
    if (-6 < n && n <= 0) {
      return sign + "0." + "0".repeat(-n) + d;
    }
    int e = n - 1;
    String exponent = "e" + (e < 0 ? "-" : "+") + Math.abs(e);
    return sign + (k == 1 ? d : d.charAt(0) + "." + d.substring(1)) + exponent;
  }

  /** The fewest significant digits that read back as {@code value} (JDK 17's toString may not). */
  private static BigDecimal shortest(double value) {
    BigDecimal exact = new BigDecimal(value);
    for (int precision = 1; precision < 17; precision++) {
      BigDecimal rounded = exact.round(new MathContext(precision));
      if (rounded.doubleValue() == value) {
        return rounded.stripTrailingZeros();
      }
    }
    return new BigDecimal(Double.toString(value)).stripTrailingZeros();
  }
}
