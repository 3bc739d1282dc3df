package dev.legato.worker.internal.config;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The parsing rules every Legato SDK applies to its {@code LEGATO_*} variables: unset, empty or
 * whitespace-only keeps the default; values are trimmed; integers are plain decimal; booleans are
 * true/false/1/0/yes/no; log levels DEBUG, INFO, WARN (= WARNING), ERROR; all case-insensitive.
 */
public final class EnvValues {
  private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");

  private EnvValues() {}

  /** The trimmed value, or null when unset, empty or whitespace-only. */
  public static String text(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? null : value.strip();
  }

  /** A plain decimal integer. */
  public static int integer(String name, String value) {
    String v = value.strip();
    if (INTEGER.matcher(v).matches()) {
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        // out of range: the error below
      }
    }
    throw new IllegalArgumentException(name + " must be a decimal integer, got '" + value + "'");
  }

  /** true/false/1/0/yes/no, case-insensitive. */
  public static boolean bool(String name, String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default ->
          throw new IllegalArgumentException(
              name + " must be one of true/false/1/0/yes/no, got '" + value + "'");
    };
  }

  /** DEBUG, INFO, WARN, ERROR (WARNING is WARN), case-insensitive; returned upper-case. */
  public static String logLevel(String name, String value) {
    String level = value.strip().toUpperCase(Locale.ROOT);
    return switch (level) {
      case "DEBUG", "INFO", "WARN", "ERROR" -> level;
      case "WARNING" -> "WARN";
      default ->
          throw new IllegalArgumentException(
              name + " must be DEBUG, INFO, WARN, WARNING or ERROR, got '" + value + "'");
    };
  }

  /**
   * One of {@code allowed} (compared case-insensitively), returned as spelled in {@code allowed}.
   */
  public static String oneOf(String name, String value, String... allowed) {
    String v = value.strip();
    for (String candidate : allowed) {
      if (candidate.equalsIgnoreCase(v)) {
        return candidate;
      }
    }
    throw new IllegalArgumentException(
        name + " must be one of " + String.join(", ", allowed) + ", got '" + value + "'");
  }
}
