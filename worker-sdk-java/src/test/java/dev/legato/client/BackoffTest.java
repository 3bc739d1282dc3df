package dev.legato.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final Clock NOW =
      Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);

  @Test
  void doublesFromTheBaseUpToTheCap() {
    assertEquals(Duration.ofMillis(200), Backoff.REQUESTS.delay(0));
    assertEquals(Duration.ofMillis(400), Backoff.REQUESTS.delay(1));
    assertEquals(Duration.ofMillis(3200), Backoff.REQUESTS.delay(4));
    assertEquals(Duration.ofSeconds(5), Backoff.REQUESTS.delay(5));
    assertEquals(Duration.ofSeconds(5), Backoff.REQUESTS.delay(100));
    assertEquals(Duration.ofMillis(500), Backoff.STREAM.delay(0));
    assertEquals(Duration.ofSeconds(5), Backoff.STREAM.delay(4));
  }

  @Test
  void retryAfterInSecondsOrAsAnHttpDateComesFirst() {
    assertEquals(Duration.ofSeconds(3), Backoff.REQUESTS.delay(0, "3", NOW));
    assertEquals(Duration.ofMillis(1500), Backoff.REQUESTS.delay(0, " 1.5 ", NOW));
    assertEquals(
        Duration.ofSeconds(7), Backoff.REQUESTS.delay(0, "Mon, 07 Dec 2026 10:00:07 GMT", NOW));
    assertEquals(Duration.ZERO, Backoff.REQUESTS.delay(0, "Mon, 07 Dec 2026 09:00:00 GMT", NOW));
    assertEquals(Duration.ofMillis(400), Backoff.REQUESTS.delay(1, "soon", NOW));
    assertNull(Backoff.retryAfterSeconds(null, NOW));
    assertNull(Backoff.retryAfterSeconds("-1", NOW));
  }
}
