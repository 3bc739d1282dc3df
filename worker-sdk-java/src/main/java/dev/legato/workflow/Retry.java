package dev.legato.workflow;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A step's retry policy; a field never set is left to the server's default (docs/
 * workflow-definitions.md: 4 attempts, 1000 ms apart, coefficient 1).
 *
 * <pre>{@code
 * Retry.create().maxAttempts(5).initialDelayMs(200).backoffCoefficient(1.5).nonRetryableErrors("BadOrder")
 * }</pre>
 */
public final class Retry {
  private final Map<String, Object> fields = new LinkedHashMap<>();

  private Retry() {}

  public static Retry create() {
    return new Retry();
  }

  /** Attempts in all, the first included (1 = no retry). */
  public Retry maxAttempts(int attempts) {
    fields.put("maxAttempts", attempts);
    return this;
  }

  public Retry initialDelayMs(long ms) {
    fields.put("initialDelayMs", ms);
    return this;
  }

  public Retry backoffCoefficient(double coefficient) {
    fields.put("backoffCoefficient", Numbers.json(coefficient));
    return this;
  }

  public Retry maxDelayMs(long ms) {
    fields.put("maxDelayMs", ms);
    return this;
  }

  /** 0-1: each delay is randomised by up to this fraction. */
  public Retry jitter(double fraction) {
    fields.put("jitter", Numbers.json(fraction));
    return this;
  }

  /** Error types that skip the remaining attempts. */
  public Retry nonRetryableErrors(String... types) {
    fields.put("nonRetryableErrors", List.of(types));
    return this;
  }

  /** The definition's {@code retry} object (a copy). */
  public Map<String, Object> toMap() {
    return new LinkedHashMap<>(fields);
  }
}
