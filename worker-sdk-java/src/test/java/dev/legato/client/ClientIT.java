package dev.legato.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.legato.workflow.Step;
import dev.legato.workflow.Workflow;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client against the API a developer started with {@code make up}, named by LEGATO_API_URL,
 * with workflows that need no worker: signal steps. Without LEGATO_API_URL it is skipped: in CI the
 * shared client conformance suite (tests/clients) runs this client against an orchestrator of its
 * own, with the same operations. LEGATO_API_URL set and the API down: a failure.
 */
@Timeout(60)
class ClientIT {
  private static final String URL = System.getenv().getOrDefault("LEGATO_API_URL", "");
  private static final Duration AWAIT = Duration.ofSeconds(30);

  private final Client client = Client.builder().apiUrl(URL).build();
  private final String workflowId =
      "java-client-it-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void apiIsUp() {
    Assumptions.assumeFalse(
        URL.isEmpty(),
        "set LEGATO_API_URL to run against `make up` (tests/clients covers this client in CI)");
    try {
      HttpResponse<Void> ready =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(URL + "/readyz"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      if (ready.statusCode() == 200) {
        return;
      }
      unavailable("GET /readyz answered " + ready.statusCode());
    } catch (Exception e) {
      unavailable(e.toString());
    }
  }

  private static void unavailable(String why) {
    fail("the Legato API is not ready at " + URL + " (" + why + "); start it with `make up`");
  }

  /** One step that waits for the signal {@code go}; its payload is the run's output. */
  private void defineSignalWorkflow() {
    JsonNode defined =
        client.define(
            Workflow.create(workflowId).step("approve", Step.signal("go").timeoutSeconds(300)));
    assertEquals(workflowId, defined.path("id").asText());
    assertEquals(1, defined.path("version").asInt());
  }

  @Test
  void defineTriggerGetListSignalAndAwaitTheResult() {
    defineSignalWorkflow();
    RunHandle run = client.trigger(workflowId, Map.of("order", "o-1"));
    Run got = run.get();
    assertEquals(workflowId, got.workflowId());
    assertEquals("o-1", got.input().path("order").asText());
    assertTrue(List.of("PENDING", "RUNNING").contains(got.status()), got.status());

    List<String> listed = client.listRuns(workflowId, null, 10).map(RunSummary::runId).toList();
    assertEquals(List.of(run.runId()), listed);

    JsonNode sent = client.signal(run.runId(), "go", Map.of("approved", true), "sig-1");
    assertFalse(sent.path("duplicate").asBoolean());
    JsonNode again = client.signal(run.runId(), "go", Map.of("approved", true), "sig-1");
    assertTrue(again.path("duplicate").asBoolean());

    assertTrue(run.result(AWAIT).path("approved").asBoolean());
    assertEquals("COMPLETED", client.get(run.runId()).status());
    try (Stream<RunEvent> events = run.events()) {
      List<String> types = events.map(RunEvent::type).toList();
      assertEquals("RUN_CREATED", types.get(0));
      assertEquals("RUN_COMPLETED", types.get(types.size() - 1));
      assertTrue(types.contains("SIGNAL_RECEIVED"), types.toString());
    }
  }

  @Test
  void theSameKeyGivesTheSameRun() {
    defineSignalWorkflow();
    String key = "k-" + UUID.randomUUID();
    String first = client.trigger(workflowId, 1, key).runId();
    assertEquals(first, client.trigger(workflowId, 1, key).runId());
    InvalidRequest reused =
        assertThrows(InvalidRequest.class, () -> client.trigger(workflowId, 2, key));
    assertEquals(422, reused.status());
    client.cancel(first);
  }

  @Test
  void pauseResumeAndCancelThenTheResultIsRunCancelled() {
    defineSignalWorkflow();
    RunHandle run = client.trigger(workflowId, null);
    assertEquals("PAUSED", client.pause(run.runId()).path("status").asText());
    assertEquals("RUNNING", client.resume(run.runId()).path("status").asText());
    JsonNode cancelled = client.cancel(run.runId());
    assertEquals("CANCELLED", cancelled.path("status").asText());
    assertTrue(cancelled.path("changed").asBoolean());
    assertThrows(RunCancelled.class, () -> run.result(AWAIT));
    Conflict conflict = assertThrows(Conflict.class, () -> client.retry(run.runId()));
    assertEquals(409, conflict.status());
  }

  @Test
  void anUnknownRunIsNotFoundAndABadDefinitionIsInvalid() {
    String unknown = UUID.randomUUID().toString();
    NotFound e = assertThrows(NotFound.class, () -> client.get(unknown));
    assertTrue(e.getMessage().contains(unknown), e.getMessage());
    assertThrows(NotFound.class, () -> client.result(unknown, AWAIT));
    InvalidRequest bad =
        assertThrows(
            InvalidRequest.class,
            () -> client.define(Workflow.create(workflowId).step("w", Step.waitSeconds(-1))));
    assertTrue(bad.getMessage().startsWith("body.steps[0].wait"), bad.getMessage());
  }
}
