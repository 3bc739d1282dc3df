package dev.legato.worker.internal.protocol;

/** UTF-8 sizes of Java strings. */
public final class Utf8 {
  private Utf8() {}

  /** Thrown for a string that has no UTF-8 form: it holds an unpaired UTF-16 surrogate. */
  public static final class LoneSurrogateException extends Exception {
    private static final long serialVersionUID = 1L;

    LoneSurrogateException(int index) {
      super("unpaired UTF-16 surrogate at index " + index);
    }
  }

  /** The UTF-8 length; a lone surrogate counts as the 3-byte replacement character. */
  public static long length(String text) {
    try {
      return strictLength(text, true);
    } catch (LoneSurrogateException impossible) {
      throw new AssertionError(impossible);
    }
  }

  /** The UTF-8 length of a string that must be well-formed UTF-16. */
  public static long strictLength(String text) throws LoneSurrogateException {
    return strictLength(text, false);
  }

  private static long strictLength(String text, boolean lenient) throws LoneSurrogateException {
    long bytes = 0;
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c) && !lenient) {
        throw new LoneSurrogateException(i);
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
