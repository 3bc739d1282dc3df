package dev.legato.workflow;

/** Numbers as the builders store them: an integral value as a Long, so every writer prints 30. */
final class Numbers {
  private static final double EXACT_INTEGERS = 9_007_199_254_740_992d; // 2^53

  private Numbers() {}

  static Number json(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("not a JSON number: " + value);
    }
    if (value == Math.rint(value) && Math.abs(value) <= EXACT_INTEGERS) {
      return (long) value;
    }
    return value;
  }
}
