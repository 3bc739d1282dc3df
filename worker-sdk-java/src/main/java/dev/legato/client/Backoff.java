package dev.legato.client;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * How long to wait before a retry: the server's {@code Retry-After} (seconds, or an HTTP date) when
 * it gave one, else {@code base x 2^n} capped at {@code cap}.
 */
record Backoff(Duration base, Duration cap) {
  /** The requests' retries: 0.2 s doubling, at most 5 s. */
  static final Backoff REQUESTS = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5));

  /** The event stream's reconnections: 0.5 s doubling, at most 5 s. */
  static final Backoff STREAM = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(5));

  private static final Pattern SECONDS = Pattern.compile("\\d+(\\.\\d+)?");

  /** The wait before retry number {@code retry} (0 for the first retry). */
  Duration delay(int retry) {
    long ms = base.toMillis() << Math.min(retry, 20);
    return Duration.ofMillis(Math.min(ms, cap.toMillis()));
  }

  /** The wait before retry {@code retry}, the {@code Retry-After} value (may be null) first. */
  Duration delay(int retry, String retryAfter, Clock clock) {
    Double seconds = retryAfterSeconds(retryAfter, clock);
    return seconds != null ? Duration.ofMillis(Math.round(seconds * 1000)) : delay(retry);
  }

  /** A {@code Retry-After} header in seconds (0 for a date passed), or null if absent or bad. */
  static Double retryAfterSeconds(String value, Clock clock) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String text = value.strip();
    if (SECONDS.matcher(text).matches()) {
      return Double.parseDouble(text);
    }
    try {
      ZonedDateTime at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME);
      long ms = Duration.between(clock.instant(), at.toInstant()).toMillis();
      return Math.max(0, ms) / 1000.0;
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
