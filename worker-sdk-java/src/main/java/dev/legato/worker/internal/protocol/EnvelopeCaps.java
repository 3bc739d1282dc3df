package dev.legato.worker.internal.protocol;

/**
 * The size caps every Legato SDK applies to a failure envelope and to dead-letter headers, so a
 * failure always fits in a result. Lengths are counted in characters (Unicode code points).
 */
public final class EnvelopeCaps {
  /** Longest {@code failure.message}. */
  public static final int MESSAGE_CHARS = 4096;

  /** Longest {@code failure.stackTrace}. */
  public static final int STACK_TRACE_CHARS = 16384;

  /** Largest {@code failure.details} JSON text, in UTF-8 bytes; larger is replaced. */
  public static final int DETAILS_BYTES = 65536;

  /** Longest {@code legato-error-message} dead-letter header. */
  public static final int DLT_ERROR_MESSAGE_CHARS = 1024;

  /** What ends a cut text; included in the cap. */
  public static final String SUFFIX = "...[truncated]";

  private EnvelopeCaps() {}

  /**
   * The text itself if it has at most {@code max} characters, else its beginning followed by {@link
   * #SUFFIX}, {@code max} characters in all. Never splits a surrogate pair.
   */
  public static String cap(String text, int max) {
    if (text == null || text.length() <= max || text.codePointCount(0, text.length()) <= max) {
      return text;
    }
    int keep = Math.max(0, max - SUFFIX.length());
    return text.substring(0, text.offsetByCodePoints(0, keep)) + SUFFIX;
  }

  /**
   * The details JSON text, or {@code {"truncated":true,"bytes":N}} when it is over {@link
   * #DETAILS_BYTES} UTF-8 bytes.
   */
  public static String capDetails(String json) {
    if (json == null) {
      return null;
    }
    long bytes = Utf8.length(json);
    if (bytes <= DETAILS_BYTES) {
      return json;
    }
    return "{\"truncated\":true,\"bytes\":" + bytes + "}";
  }
}
