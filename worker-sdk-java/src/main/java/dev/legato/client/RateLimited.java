package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/** 429 after every retry: too much work has not started yet (nothing was stored). */
public class RateLimited extends ApiError {
  private static final long serialVersionUID = 1L;

  private final Double retryAfter;

  public RateLimited(int status, String message, JsonNode body, Double retryAfter) {
    super(status, message, body);
    this.retryAfter = retryAfter;
  }

  /** The last answer's {@code Retry-After} in seconds, or null when it had none. */
  public Double retryAfter() {
    return retryAfter;
  }
}
