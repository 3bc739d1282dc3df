package dev.legato.client;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A run's event stream ({@code GET /workflow/run/{runId}/events/stream}) as the messages it sends,
 * through the {@code end} message. A stream that drops (or stays silent for {@link #IDLE}, three
 * keepalive periods) is opened again with {@code Last-Event-ID} of the last id seen, after 0.5 s
 * doubling to 5 s; opening it retries 429/503 and connection errors like any GET. With a deadline,
 * {@link AwaitTimeout} when it passes. Blocking; one thread at a time.
 */
final class EventStream implements Iterator<SseParser.Message>, AutoCloseable {
  /** Without a line for this long (the server sends a keepalive every 15 s): reconnect. */
  static final Duration IDLE = Duration.ofSeconds(45);

  private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(30);
  private static final Object NO_STATUS = new Object();

  private final Http http;
  private final String runId;
  private final Long deadline; // System.nanoTime() based; null: none
  private String lastEventId;
  private Connection connection;
  private SseParser.Message next;
  private boolean ended;
  private int drops;

  /** One opened stream: its lines (then a {@link Closed}) and its parser. */
  private static final class Connection implements Flow.Subscriber<String> {
    final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
    final SseParser parser = new SseParser();
    volatile Flow.Subscription subscription;
    volatile boolean cancelled;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (cancelled) {
        s.cancel();
      } else {
        s.request(Long.MAX_VALUE);
      }
    }

    @Override
    public void onNext(String line) {
      items.add(line);
    }

    @Override
    public void onError(Throwable error) {
      items.add(new Closed(error));
    }

    @Override
    public void onComplete() {
      items.add(new Closed(null));
    }

    void cancel() {
      cancelled = true;
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
    }
  }

  private record Closed(Throwable error) {}

  EventStream(Http http, String runId, long after, Duration timeout) {
    this.http = http;
    this.runId = runId;
    this.lastEventId = after > 0 ? Long.toString(after) : null;
    this.deadline = timeout == null ? null : System.nanoTime() + timeout.toNanos();
  }

  @Override
  public boolean hasNext() {
    if (next == null && !ended) {
      next = read();
      if (next.event().equals("end")) {
        ended = true;
        close();
      }
    }
    return next != null;
  }

  @Override
  public SseParser.Message next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the stream ended");
    }
    SseParser.Message message = next;
    next = null;
    return message;
  }

  /** The last event id the stream gave (what a reconnection resumes from), or null. */
  String lastEventId() {
    return lastEventId;
  }

  @Override
  public void close() {
    if (connection != null) {
      connection.cancel();
      connection = null;
    }
  }

  private SseParser.Message read() {
    while (true) {
      if (connection == null) {
        connection = open();
      }
      Object item = poll(connection);
      if (item instanceof String line) {
        SseParser.Message message = connection.parser.line(line);
        if (message != null) {
          if (!message.lastEventId().isEmpty()) {
            lastEventId = message.lastEventId();
          }
          drops = 0;
          return message;
        }
      } else { // closed, failed or silent: open it again after the backoff
        close();
        sleep(Backoff.STREAM.delay(drops++));
      }
    }
  }

  private Object poll(Connection from) {
    try {
      long wait = Math.min(IDLE.toNanos(), remainingNanos());
      Object item = from.items.poll(wait, TimeUnit.NANOSECONDS);
      if (item == null && remainingNanos() <= 0) {
        close();
        throw timeout();
      }
      return item == null ? new Closed(null) : item;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new LegatoException("interrupted while reading the event stream of run " + runId, e);
    }
  }

  /** Opens the stream: 200 gives the connection; an error answer its typed error after retries. */
  private Connection open() {
    for (int retry = 0; ; retry++) {
      Connection opened = new Connection();
      CompletableFuture<Object> status = new CompletableFuture<>();
      HttpResponse.BodyHandler<String> handler =
          info -> {
            status.complete(info.statusCode());
            return info.statusCode() == 200
                ? HttpResponse.BodySubscribers.fromLineSubscriber(
                    opened, s -> "", StandardCharsets.UTF_8, null)
                : HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
          };
      CompletableFuture<HttpResponse<String>> response =
          http.client().sendAsync(request(), handler);
      response.whenComplete((r, e) -> status.complete(NO_STATUS));
      try {
        Object code = await(status);
        if (code.equals(200)) {
          return opened;
        }
        if (code == NO_STATUS) {
          await(response); // throws what made the request fail
          throw new IOException("the stream ended before its status");
        }
        HttpResponse<String> answer = await(response);
        String retryAfter = answer.headers().firstValue("Retry-After").orElse(null);
        if (Http.retryable(answer.statusCode(), Http.Safety.REPEATABLE)
            && retry < http.maxRetries()) {
          sleep(Backoff.REQUESTS.delay(retry, retryAfter, java.time.Clock.systemUTC()));
          continue;
        }
        throw Errors.of(
            answer.statusCode(),
            answer.body(),
            Backoff.retryAfterSeconds(retryAfter, java.time.Clock.systemUTC()),
            http.mapper);
      } catch (IOException e) {
        opened.cancel();
        if (retry < http.maxRetries()) {
          sleep(Backoff.REQUESTS.delay(retry));
          continue;
        }
        throw new ConnectionFailed(
            "could not reach the Legato API at " + url() + " after " + retry + " retries: " + e, e);
      }
    }
  }

  private <T> T await(CompletableFuture<T> future) throws IOException {
    try {
      long wait = remainingNanos();
      return wait == Long.MAX_VALUE ? future.get() : future.get(wait, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw timeout();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LegatoException("interrupted while opening the event stream of run " + runId, e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    }
  }

  private HttpRequest request() {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(url()))
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .header("Accept", "text/event-stream")
            .header("Cache-Control", "no-cache")
            .timeout(OPEN_TIMEOUT) // until the answer's headers; the stream itself has none
            .GET();
    http.authorize(builder);
    if (lastEventId != null) {
      builder.header("Last-Event-ID", lastEventId);
    }
    return builder.build();
  }

  private String url() {
    return http.baseUrl() + "/workflow/run/" + Http.encode(runId) + "/events/stream";
  }

  private long remainingNanos() {
    return deadline == null ? Long.MAX_VALUE : deadline - System.nanoTime();
  }

  private void sleep(Duration delay) {
    long remaining = remainingNanos();
    if (remaining <= 0) {
      throw timeout();
    }
    Http.pause(Duration.ofNanos(Math.min(delay.toNanos(), remaining)));
    if (remainingNanos() <= 0) {
      throw timeout();
    }
  }

  private AwaitTimeout timeout() {
    return new AwaitTimeout("run " + runId + " did not end in time");
  }
}
