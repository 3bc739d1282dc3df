package dev.legato.worker.internal.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The exposition of docs/observability.md, "Worker SDKs": names, labels, types and buckets. */
class PrometheusMetricsTest {
  private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$");
  private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

  private static List<String> samples(String text, String name) {
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        lines.add(line);
      }
    }
    return lines;
  }

  private static double value(String text, String series) {
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no sample " + series + " in\n" + text);
  }

  @Test
  void familiesAreExactlyTheContractsWithTheirTypes() {
    PrometheusMetrics metrics = new PrometheusMetrics(List.of("echo", "slow"), 4, () -> 0);
    Set<String> families = new TreeSet<>();
    for (String line : metrics.scrape().split("\n")) {
      Matcher m = TYPE.matcher(line);
      if (m.matches()) {
        families.add(m.group(1) + " " + m.group(2));
      }
    }
    assertEquals(
        new TreeSet<>(
            Set.of(
                "legato_worker_jobs_total counter",
                "legato_worker_handler_duration_seconds histogram",
                "legato_worker_jobs_in_flight gauge",
                "legato_worker_records_behind gauge",
                "legato_worker_stalled gauge",
                "legato_worker_stalls_total counter",
                "legato_worker_slots gauge",
                "legato_worker_slots_busy gauge")),
        families);
    metrics.close();
  }

  @Test
  void countsOutcomesDurationsAndSlots() {
    AtomicInteger busy = new AtomicInteger();
    PrometheusMetrics metrics = new PrometheusMetrics(List.of("echo"), 4, busy::get);
    metrics.handlerStarted("echo");
    busy.set(1);
    String during = metrics.scrape();
    assertEquals(1.0, value(during, "legato_worker_jobs_in_flight{action=\"echo\"}"));
    assertEquals(1.0, value(during, "legato_worker_slots_busy"));
    assertEquals(4.0, value(during, "legato_worker_slots"));

    metrics.handlerFinished("echo", false, 30_000_000L); // 0.03 s
    metrics.handlerStarted("echo");
    metrics.handlerFinished("echo", true, 2_000_000_000L); // 2 s
    metrics.skipped("echo");
    metrics.skipped("not-registered"); // ignored: labels come from the registered actions only
    busy.set(0);
    String text = metrics.scrape();
    assertEquals(
        1.0, value(text, "legato_worker_jobs_total{action=\"echo\",outcome=\"completed\"}"));
    assertEquals(1.0, value(text, "legato_worker_jobs_total{action=\"echo\",outcome=\"failed\"}"));
    assertEquals(1.0, value(text, "legato_worker_jobs_total{action=\"echo\",outcome=\"skipped\"}"));
    assertEquals(0.0, value(text, "legato_worker_jobs_in_flight{action=\"echo\"}"));
    assertEquals(0.0, value(text, "legato_worker_slots_busy"));
    assertEquals(2.0, value(text, "legato_worker_handler_duration_seconds_count{action=\"echo\"}"));
    assertEquals(
        2.03, value(text, "legato_worker_handler_duration_seconds_sum{action=\"echo\"}"), 1e-9);
    assertEquals(
        0.0,
        value(text, "legato_worker_handler_duration_seconds_bucket{action=\"echo\",le=\"0.025\"}"));
    assertEquals(
        1.0,
        value(text, "legato_worker_handler_duration_seconds_bucket{action=\"echo\",le=\"0.05\"}"));
    assertEquals(
        1.0,
        value(text, "legato_worker_handler_duration_seconds_bucket{action=\"echo\",le=\"1.0\"}"));
    assertEquals(
        2.0,
        value(text, "legato_worker_handler_duration_seconds_bucket{action=\"echo\",le=\"2.5\"}"));
    assertFalse(text.contains("not-registered"), text);
    metrics.close();
  }

  @Test
  void recordsBehindAndStalls() {
    PrometheusMetrics metrics = new PrometheusMetrics(List.of("echo"), 4, () -> 0);
    String start = metrics.scrape();
    assertEquals(0.0, value(start, "legato_worker_records_behind{action=\"echo\"}"));
    assertEquals(0.0, value(start, "legato_worker_stalled{action=\"echo\"}"));
    assertEquals(0.0, value(start, "legato_worker_stalls_total{action=\"echo\"}"));
    metrics.recordsBehind("echo", 12);
    metrics.stalled("echo", true);
    String stalled = metrics.scrape();
    assertEquals(12.0, value(stalled, "legato_worker_records_behind{action=\"echo\"}"));
    assertEquals(1.0, value(stalled, "legato_worker_stalled{action=\"echo\"}"));
    assertEquals(1.0, value(stalled, "legato_worker_stalls_total{action=\"echo\"}"));
    metrics.stalled("echo", false);
    metrics.recordsBehind("echo", 0);
    String after = metrics.scrape();
    assertEquals(0.0, value(after, "legato_worker_stalled{action=\"echo\"}"));
    assertEquals(1.0, value(after, "legato_worker_stalls_total{action=\"echo\"}"));
    assertEquals(0.0, value(after, "legato_worker_records_behind{action=\"echo\"}"));
    metrics.close();
  }

  @Test
  void histogramBucketsAreTheSpecsExactly() {
    PrometheusMetrics metrics = new PrometheusMetrics(List.of("echo"), 1, () -> 0);
    List<Double> bounds = new ArrayList<>();
    boolean inf = false;
    for (String line : samples(metrics.scrape(), "legato_worker_handler_duration_seconds_bucket")) {
      Matcher m = LE.matcher(line);
      assertTrue(m.find(), line);
      if (m.group(1).equals("+Inf")) {
        inf = true;
      } else {
        bounds.add(Double.parseDouble(m.group(1)));
      }
    }
    assertEquals(
        List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
        bounds);
    assertTrue(inf);
    metrics.close();
  }

  @Test
  void servesGetMetricsOnlyAndStopsOnClose() throws Exception {
    PrometheusMetrics metrics =
        PrometheusMetrics.serve("127.0.0.1", 0, List.of("echo"), 3, () -> 0);
    InetSocketAddress at = metrics.address();
    assertEquals("127.0.0.1", at.getAddress().getHostAddress());
    HttpClient http = HttpClient.newHttpClient();
    URI base = URI.create("http://127.0.0.1:" + at.getPort());
    HttpResponse<String> ok =
        http.send(
            HttpRequest.newBuilder(base.resolve("/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ok.statusCode());
    assertTrue(
        ok.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    assertEquals(3.0, value(ok.body(), "legato_worker_slots"));
    HttpResponse<String> other =
        http.send(
            HttpRequest.newBuilder(base.resolve("/other")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(404, other.statusCode());
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(base.resolve("/metrics"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
    metrics.close();
    assertTrue(
        assertThrowsIo(
            () ->
                http.send(
                    HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString())));
  }

  private interface Call {
    void run() throws Exception;
  }

  private static boolean assertThrowsIo(Call call) throws InterruptedException {
    try {
      call.run();
      return false;
    } catch (java.io.IOException e) {
      return true;
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
