package dev.legato.worker.internal.config;

import java.math.BigInteger;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The parsing rules every Legato SDK applies to its {@code LEGATO_*} variables, tested against the
 * vectors the other SDKs and the orchestrator are tested against (schemas/env/vectors.json): unset,
 * empty or whitespace-only keeps the default; values are trimmed; integers are plain decimal, 32
 * bits; booleans are true/false/1/0/yes/no; log levels DEBUG, INFO, WARN (= WARNING), ERROR; all
 * case-insensitive. An error names the variable, the form it must take and the value, quoted as the
 * Python SDK quotes it.
 */
public final class EnvValues {
  private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");

  private EnvValues() {}

  /** The trimmed value, or null when unset, empty or whitespace-only. */
  public static String text(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null) {
      return null;
    }
    String trimmed = trim(value);
    return trimmed.isEmpty() ? null : trimmed;
  }

  /** A plain decimal integer that fits an int. */
  public static int integer(String name, String value) {
    return integer(name, value, Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  /** A plain decimal integer from {@code minimum} to {@code maximum}. */
  public static int integer(String name, String value, int minimum, int maximum) {
    String v = trim(value);
    if (!INTEGER.matcher(v).matches()) {
      throw new IllegalArgumentException(name + " must be an integer, got " + quote(v));
    }
    BigInteger number = new BigInteger(v);
    if (number.compareTo(BigInteger.valueOf(minimum)) < 0) {
      throw new IllegalArgumentException(name + " must be at least " + minimum + ", got " + number);
    }
    if (number.compareTo(BigInteger.valueOf(maximum)) > 0) {
      throw new IllegalArgumentException(name + " must be at most " + maximum + ", got " + number);
    }
    return number.intValueExact();
  }

  /** true/false/1/0/yes/no, case-insensitive. */
  public static boolean bool(String name, String value) {
    String v = trim(value);
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default ->
          throw new IllegalArgumentException(
              name + " must be one of true/false/1/0/yes/no, got " + quote(v));
    };
  }

  /** DEBUG, INFO, WARN, ERROR (WARNING is WARN), case-insensitive; returned upper-case. */
  public static String logLevel(String name, String value) {
    String v = trim(value);
    String level = v.toUpperCase(Locale.ROOT);
    return switch (level) {
      case "DEBUG", "INFO", "WARN", "ERROR" -> level;
      case "WARNING" -> "WARN";
      default ->
          throw new IllegalArgumentException(
              name + " must be one of DEBUG, INFO, WARN, WARNING, ERROR, got " + quote(v));
    };
  }

  /**
   * One of {@code allowed} (compared case-insensitively), returned as spelled in {@code allowed}.
   */
  public static String oneOf(String name, String value, String... allowed) {
    String v = trim(value);
    for (String candidate : allowed) {
      if (candidate.equalsIgnoreCase(v)) {
        return candidate;
      }
    }
    throw new IllegalArgumentException(
        name + " must be one of " + String.join(", ", allowed) + ", got " + quote(v));
  }

  /**
   * {@code value} without the whitespace around it, as Python's {@code str.strip()} trims it: not
   * {@link String#strip()}, which keeps U+0085, U+00A0, U+2007 and U+202F.
   */
  static String trim(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && isSpace(value.charAt(start))) {
      start++;
    }
    while (end > start && isSpace(value.charAt(end - 1))) {
      end--;
    }
    return value.substring(start, end);
  }

  private static boolean isSpace(char c) {
    return (c >= '\t' && c <= '\r')
        || (c >= '\u001c' && c <= ' ')
        || c == '\u0085'
        || c == '\u00a0'
        || c == '\u1680'
        || (c >= '\u2000' && c <= '\u200a')
        || c == '\u2028'
        || c == '\u2029'
        || c == '\u202f'
        || c == '\u205f'
        || c == '\u3000';
  }

  /**
   * {@code value} as Python's {@code repr()} shows it: in single quotes, or double when it has only
   * single ones; backslashes, the quote, control, format, private-use, unassigned and separator
   * characters (but the space) escaped.
   */
  static String quote(String value) {
    char mark = value.indexOf('\'') >= 0 && value.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder shown = new StringBuilder().append(mark);
    value
        .codePoints()
        .forEach(
            c -> {
              switch (c) {
                case '\\' -> shown.append("\\\\");
                case '\t' -> shown.append("\\t");
                case '\n' -> shown.append("\\n");
                case '\r' -> shown.append("\\r");
                default -> {
                  if (c == mark) {
                    shown.append('\\').append(mark);
                  } else if (c == ' ' || isPrintable(c)) {
                    shown.appendCodePoint(c);
                  } else if (c < 0x100) {
                    shown.append(String.format("\\x%02x", c));
                  } else if (c < 0x10000) {
                    shown.append(String.format("\\u%04x", c));
                  } else {
                    shown.append(String.format("\\U%08x", c));
                  }
                }
              }
            });
    return shown.append(mark).toString();
  }

  private static boolean isPrintable(int codePoint) {
    return switch (Character.getType(codePoint)) {
      case Character.CONTROL,
              Character.FORMAT,
              Character.SURROGATE,
              Character.PRIVATE_USE,
              Character.UNASSIGNED,
              Character.SPACE_SEPARATOR,
              Character.LINE_SEPARATOR,
              Character.PARAGRAPH_SEPARATOR ->
          false;
      default -> true;
    };
  }
}
