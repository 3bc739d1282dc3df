package dev.legato.workflow;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A workflow's concurrency limit (docs/flow-control.md): at most {@code limit} open runs per value
 * of {@code key} (a template, e.g. {@code Ref.of("input.customerId")}); {@code onLimit} says what a
 * run over the limit does.
 */
public record Concurrency(String key, int limit, OnLimit onLimit) {
  /** What a run over its key's limit does. */
  public enum OnLimit {
    /** Waits, PENDING, for a free slot (the default). */
    QUEUE("queue"),
    /** Is cancelled at once. */
    CANCEL_NEWEST("cancelNewest"),
    /** Starts; the oldest open run of the key is cancelled. */
    CANCEL_OLDEST("cancelOldest");

    private final String json;

    OnLimit(String json) {
      this.json = json;
    }

    /** The name in the definition JSON. */
    public String json() {
      return json;
    }
  }

  public Concurrency {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(onLimit, "onLimit");
  }

  /** A limit whose runs over it queue. */
  public static Concurrency of(String key, int limit) {
    return new Concurrency(key, limit, OnLimit.QUEUE);
  }

  /** The definition's {@code concurrency} object. */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("key", key);
    map.put("limit", limit);
    map.put("onLimit", onLimit.json());
    return map;
  }
}
