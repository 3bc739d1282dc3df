package dev.legato.client;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A scripted HTTP server on 127.0.0.1 (a random port) for the client's unit tests: each path
 * answers its queued responses in order (404 when none is left) and every request is recorded.
 */
final class FakeApi implements AutoCloseable {
  /** Answers one exchange. */
  @FunctionalInterface
  interface Answer {
    void answer(HttpExchange exchange) throws IOException;
  }

  /** A request as the server saw it. */
  record Seen(String method, String path, String query, Headers headers, String body) {
    String header(String name) {
      return headers.getFirst(name);
    }
  }

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final Map<String, Deque<Answer>> answers = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  /** Released when the test ends: a stream held open by {@link #holdOpen} then closes. */
  final CountDownLatch release = new CountDownLatch(1);

  FakeApi() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  Client client() {
    return Client.builder()
        .apiUrl(url())
        .environment(Map.of())
        .backoff(java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(5))
        .build();
  }

  /** Queues {@code answers} for {@code path} (without its query). */
  FakeApi on(String path, Answer... more) {
    answers.computeIfAbsent(path, p -> new ArrayDeque<>()).addAll(List.of(more));
    return this;
  }

  List<Seen> seen(String path) {
    return seen.stream().filter(s -> s.path().equals(path)).toList();
  }

  static Answer json(int status, String body, String... headers) {
    return exchange -> {
      for (int i = 0; i + 1 < headers.length; i += 2) {
        exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
      }
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      send(exchange, status, body);
    };
  }

  /** Closes the connection without an answer: the client sees an IOException. */
  static Answer drop() {
    return HttpExchange::close;
  }

  /** A {@code text/event-stream} answer of {@code lines} (each ends with a newline), then EOF. */
  static Answer stream(String... lines) {
    return exchange -> {
      exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      try (OutputStream out = exchange.getResponseBody()) {
        for (String line : lines) {
          out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      }
    };
  }

  /** A stream that sends {@code lines} and then nothing until the test ends. */
  Answer holdOpen(String... lines) {
    return exchange -> {
      exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      for (String line : lines) {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
      out.flush();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    };
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String path = exchange.getRequestURI().getRawPath();
    seen.add(
        new Seen(
            exchange.getRequestMethod(),
            path,
            exchange.getRequestURI().getRawQuery(),
            exchange.getRequestHeaders(),
            body));
    Deque<Answer> queue = answers.get(path);
    Answer answer = queue == null ? null : queue.pollFirst();
    if (answer == null) {
      json(404, "{\"detail\":\"nothing scripted for " + path + "\"}").answer(exchange);
    } else {
      answer.answer(exchange);
    }
  }

  @Override
  public void close() {
    release.countDown();
    server.stop(0);
    threads.shutdownNow();
  }
}
