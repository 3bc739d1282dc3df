package dev.legato.worker.internal.observe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The worker's metrics in a Micrometer {@link PrometheusMeterRegistry} of its own, served in the
 * Prometheus text format at {@code GET /metrics} by the JDK's HTTP server. Micrometer's Prometheus
 * naming gives the names of docs/observability.md: counter {@code legato.worker.jobs} is {@code
 * legato_worker_jobs_total}, timer {@code legato.worker.handler.duration} (base unit seconds) is
 * the histogram {@code legato_worker_handler_duration_seconds}. Thread-safe.
 */
public final class PrometheusMetrics implements WorkerMetrics {
  /** The histogram's buckets, identical in every SDK. */
  static final double[] BUCKETS_SECONDS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300
  };

  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /**
   * The series of the contract. Micrometer would also write a timer's maximum as {@code
   * legato_worker_handler_duration_seconds_max}, which no other SDK has: the scrape leaves it out.
   */
  static final Set<String> SERIES =
      Set.of(
          "legato_worker_jobs",
          "legato_worker_jobs_total",
          "legato_worker_handler_duration_seconds",
          "legato_worker_handler_duration_seconds_bucket",
          "legato_worker_handler_duration_seconds_count",
          "legato_worker_handler_duration_seconds_sum",
          "legato_worker_jobs_in_flight",
          "legato_worker_slots",
          "legato_worker_slots_busy",
          "legato_worker_records_behind",
          "legato_worker_stalled",
          "legato_worker_stalls",
          "legato_worker_stalls_total");

  private record ActionMeters(
      Counter completed,
      Counter failed,
      Counter skipped,
      Timer duration,
      AtomicInteger inFlight,
      AtomicLong behind,
      AtomicInteger stalled,
      Counter stalls) {}

  private final PrometheusMeterRegistry registry;
  private final Map<String, ActionMeters> actions = new LinkedHashMap<>();
  private HttpServer server;
  private ExecutorService serverThread;

  /**
   * The meters of {@code actions} (every series present from the start, at 0), not served yet.
   *
   * @param slots the worker's concurrency
   * @param busy the slots in use now
   */
  PrometheusMetrics(Collection<String> actions, int slots, IntSupplier busy) {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Duration[] slo = new Duration[BUCKETS_SECONDS.length];
    for (int i = 0; i < slo.length; i++) {
      slo[i] = Duration.ofNanos(Math.round(BUCKETS_SECONDS[i] * 1e9));
    }
    Gauge.builder("legato.worker.slots", () -> slots)
        .description("the worker's concurrency (slots)")
        .register(registry);
    Gauge.builder("legato.worker.slots.busy", busy::getAsInt)
        .description("slots in use now")
        .register(registry);
    for (String action : actions) {
      AtomicInteger inFlight = new AtomicInteger();
      Gauge.builder("legato.worker.jobs.in.flight", inFlight, AtomicInteger::get)
          .description("handlers running now")
          .tag("action", action)
          .register(registry);
      Timer duration =
          Timer.builder("legato.worker.handler.duration")
              .description("the handler's run time")
              .tag("action", action)
              .serviceLevelObjectives(slo)
              .register(registry);
      AtomicLong behind = new AtomicLong();
      Gauge.builder("legato.worker.records.behind", behind, AtomicLong::get)
          .description("records in the assigned partitions not fetched yet")
          .tag("action", action)
          .register(registry);
      AtomicInteger stalled = new AtomicInteger();
      Gauge.builder("legato.worker.stalled", stalled, AtomicInteger::get)
          .description("1 while the action's consumer makes no progress with records waiting")
          .tag("action", action)
          .register(registry);
      Counter stalls =
          Counter.builder("legato.worker.stalls")
              .description("times the action's consumer stopped making progress")
              .tag("action", action)
              .register(registry);
      this.actions.put(
          action,
          new ActionMeters(
              jobs(action, "completed"),
              jobs(action, "failed"),
              jobs(action, "skipped"),
              duration,
              inFlight,
              behind,
              stalled,
              stalls));
    }
  }

  /**
   * Metrics served at {@code http://host:port/metrics} from now on (port 0: a free one).
   *
   * @throws UncheckedIOException if the address cannot be bound
   */
  public static PrometheusMetrics serve(
      String host, int port, Collection<String> actions, int slots, IntSupplier busy) {
    PrometheusMetrics metrics = new PrometheusMetrics(actions, slots, busy);
    metrics.listen(host, port);
    return metrics;
  }

  private Counter jobs(String action, String outcome) {
    return Counter.builder("legato.worker.jobs")
        .description("jobs handled: completed, failed, skipped")
        .tag("action", action)
        .tag("outcome", outcome)
        .register(registry);
  }

  private void listen(String host, int port) {
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve metrics on " + host + ":" + port + " (LEGATO_METRICS_PORT): " + e, e);
    }
    server.createContext("/", this::handle);
    serverThread =
        Executors.newSingleThreadExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "legato-metrics");
              thread.setDaemon(true);
              return thread;
            });
    server.setExecutor(serverThread);
    server.start();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      if (!path.equals("/metrics")) {
        respond(exchange, 404, "text/plain; charset=utf-8", "not found: GET /metrics\n");
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
      } else {
        respond(exchange, 200, CONTENT_TYPE, scrape());
      }
    }
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The Prometheus text exposition (format 0.0.4) of the contract's series. */
  String scrape() {
    return registry.scrape(CONTENT_TYPE, SERIES);
  }

  @Override
  public void handlerStarted(String action) {
    ActionMeters meters = actions.get(action);
    if (meters != null) {
      meters.inFlight().incrementAndGet();
    }
  }

  @Override
  public void handlerFinished(String action, boolean failed, long nanos) {
    ActionMeters meters = actions.get(action);
    if (meters != null) {
      meters.inFlight().decrementAndGet();
      meters.duration().record(nanos, TimeUnit.NANOSECONDS);
      (failed ? meters.failed() : meters.completed()).increment();
    }
  }

  @Override
  public void skipped(String action) {
    ActionMeters meters = actions.get(action);
    if (meters != null) {
      meters.skipped().increment();
    }
  }

  @Override
  public void recordsBehind(String action, long records) {
    ActionMeters meters = actions.get(action);
    if (meters != null) {
      meters.behind().set(records);
    }
  }

  @Override
  public void stalled(String action, boolean stalled) {
    ActionMeters meters = actions.get(action);
    if (meters != null) {
      meters.stalled().set(stalled ? 1 : 0);
      if (stalled) {
        meters.stalls().increment();
      }
    }
  }

  @Override
  public InetSocketAddress address() {
    return server == null ? null : server.getAddress();
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
      serverThread.shutdownNow();
    }
    registry.close();
  }
}
