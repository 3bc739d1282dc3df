package dev.legato.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The client's requests with their retries (safe by construction): 429 and 503 after {@code
 * Retry-After} or the backoff; 409 only for a trigger with an {@code Idempotency-Key} (its first
 * request is still in flight); a connection error or timeout only for a request that may be sent
 * twice ({@link Safety}). At most {@code maxRetries} retries, then the typed error.
 */
final class Http {
  /** Whether a request may be sent again when its answer was lost. */
  enum Safety {
    /** A GET, a define, a signal with a signalId: sending it twice changes nothing more. */
    REPEATABLE,
    /** A trigger with its Idempotency-Key: also retried on 409 (the key is still in flight). */
    KEYED,
    /** Never sent twice after a lost answer (cancel, retry, pause, resume, a signal without id). */
    ONCE
  }

  /** One request: method, path (with its query) below the API's URL, JSON body or null. */
  record Call(String method, String path, Object body, Map<String, String> headers, Safety safety) {
    static Call get(String path) {
      return new Call("GET", path, null, Map.of(), Safety.REPEATABLE);
    }
  }

  final ObjectMapper mapper;
  private final HttpClient client;
  private final String baseUrl;
  private final String apiKey;
  private final int maxRetries;
  private final Backoff backoff;
  private final Duration requestTimeout;
  private final Clock clock;

  Http(
      HttpClient client,
      String baseUrl,
      String apiKey,
      int maxRetries,
      Backoff backoff,
      Duration requestTimeout,
      ObjectMapper mapper) {
    this.client = client;
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.apiKey = apiKey;
    this.maxRetries = maxRetries;
    this.backoff = backoff;
    this.requestTimeout = requestTimeout;
    this.mapper = mapper;
    this.clock = Clock.systemUTC();
  }

  String baseUrl() {
    return baseUrl;
  }

  int maxRetries() {
    return maxRetries;
  }

  HttpClient client() {
    return client;
  }

  /** {@code text} encoded as one path segment or query value. */
  static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /**
   * Sends {@code call} (retrying as it allows) and returns its JSON answer (a null node if none).
   */
  JsonNode send(Call call) {
    HttpRequest request = request(call);
    for (int retry = 0; ; retry++) {
      HttpResponse<String> response;
      try {
        response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        if (call.safety() != Safety.ONCE && retry < maxRetries) {
          pause(backoff.delay(retry));
          continue;
        }
        throw unreachable(call, e, retry);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LegatoException("interrupted: " + call.method() + " " + url(call), e);
      }
      int status = response.statusCode();
      if (status < 300) {
        return json(response.body());
      }
      String retryAfter = response.headers().firstValue("Retry-After").orElse(null);
      if (retryable(status, call.safety()) && retry < maxRetries) {
        pause(backoff.delay(retry, retryAfter, clock));
        continue;
      }
      throw Errors.of(
          status, response.body(), Backoff.retryAfterSeconds(retryAfter, clock), mapper);
    }
  }

  static boolean retryable(int status, Safety safety) {
    return status == 429 || status == 503 || (status == 409 && safety == Safety.KEYED);
  }

  /** The request of {@code call}, with the key and, for a JSON body, its Content-Type. */
  HttpRequest request(Call call) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(url(call)))
            .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade: uvicorn then drops the body
            .timeout(requestTimeout);
    authorize(builder);
    call.headers().forEach(builder::header);
    if (call.body() == null) {
      builder.method(call.method(), HttpRequest.BodyPublishers.noBody());
    } else {
      builder
          .header("Content-Type", "application/json")
          .method(call.method(), HttpRequest.BodyPublishers.ofByteArray(bytes(call.body())));
    }
    return builder.build();
  }

  void authorize(HttpRequest.Builder builder) {
    if (apiKey != null && !apiKey.isBlank()) {
      builder.header("Authorization", "Bearer " + apiKey);
    }
  }

  String url(Call call) {
    return baseUrl + call.path();
  }

  ConnectionFailed unreachable(Call call, Exception e, int retries) {
    String how =
        call.safety() == Safety.ONCE
            ? " (not retried: the request may have been applied)"
            : " after " + retries + " retries";
    return new ConnectionFailed(
        "could not reach the Legato API at " + url(call) + how + ": " + e, e);
  }

  JsonNode json(String text) {
    if (text == null || text.isBlank()) {
      return NullNode.getInstance();
    }
    try {
      return mapper.readTree(text);
    } catch (JsonProcessingException e) {
      throw new LegatoException("the API's answer is not JSON: " + e.getOriginalMessage(), e);
    }
  }

  private byte[] bytes(Object body) {
    try {
      return mapper.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the request body is not JSON: " + e.getMessage(), e);
    }
  }

  /** Waits {@code delay} before a retry; an interrupt ends the call. */
  static void pause(Duration delay) {
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LegatoException("interrupted while waiting to retry", e);
    }
  }
}
