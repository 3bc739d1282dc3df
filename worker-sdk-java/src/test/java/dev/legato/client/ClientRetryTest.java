package dev.legato.client;

import static dev.legato.client.FakeApi.drop;
import static dev.legato.client.FakeApi.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client's retries and typed errors against a local scripted server. */
@Timeout(20)
class ClientRetryTest {
  private static final String RUN = "/workflow/run/r-1";
  private static final String RUN_JSON =
      "{\"runId\":\"r-1\",\"workflowId\":\"w\",\"version\":2,\"status\":\"RUNNING\","
          + "\"input\":{\"n\":1},\"output\":null,\"error\":null,\"steps\":[]}";

  private final FakeApi api;

  ClientRetryTest() throws IOException {
    api = new FakeApi();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void a429IsRetriedAfterItsRetryAfter() {
    // a backoff of a minute: only Retry-After (0 s) lets this finish within the timeout
    Client client =
        Client.builder()
            .apiUrl(api.url())
            .environment(Map.of())
            .backoff(Duration.ofMinutes(1), Duration.ofMinutes(1))
            .build();
    api.on(RUN, json(429, "{\"detail\":\"busy\"}", "Retry-After", "0"), json(200, RUN_JSON));
    Run run = client.get("r-1");
    assertEquals("RUNNING", run.status());
    assertEquals(2, run.version());
    assertEquals(1, run.input().path("n").asInt());
    assertEquals(2, api.seen(RUN).size());
  }

  @Test
  void aKeyedTriggerIsRetriedOn409WithTheSameKeyAndBody() {
    String path = "/workflow/w/trigger";
    api.on(
        path,
        json(409, "{\"detail\":\"in flight\"}", "Retry-After", "0"),
        json(200, "{\"runId\":\"r-9\"}"));
    RunHandle run = api.client().trigger("w", Map.of("n", 1), "k1", 2);
    assertEquals("r-9", run.runId());
    List<FakeApi.Seen> seen = api.seen(path);
    assertEquals(2, seen.size());
    assertEquals("k1", seen.get(0).header("Idempotency-Key"));
    assertEquals("k1", seen.get(1).header("Idempotency-Key"));
    assertEquals("{\"input\":{\"n\":1},\"priority\":2}", seen.get(0).body());
    assertEquals(seen.get(0).body(), seen.get(1).body());
    assertEquals("application/json", seen.get(0).header("Content-Type"));
    assertNull(seen.get(0).header("Upgrade")); // HTTP/1.1: uvicorn drops the body of an h2c upgrade
  }

  @Test
  void aTriggerWithoutKeyGetsAGeneratedOneKeptAcrossRetries() {
    String path = "/workflow/w/trigger";
    api.on(path, drop(), json(200, "{\"runId\":\"r-2\"}"));
    api.on(path, json(200, "{\"runId\":\"r-3\"}"));
    Client client = api.client();
    assertEquals("r-2", client.trigger("w", null).runId());
    assertEquals("r-3", client.trigger("w", null).runId());
    List<FakeApi.Seen> seen = api.seen(path);
    assertEquals(3, seen.size());
    assertNotNull(seen.get(0).header("Idempotency-Key"));
    assertEquals(seen.get(0).header("Idempotency-Key"), seen.get(1).header("Idempotency-Key"));
    assertTrue(
        !seen.get(1).header("Idempotency-Key").equals(seen.get(2).header("Idempotency-Key")));
    assertEquals("{\"input\":null}", seen.get(0).body());
  }

  @Test
  void a409OnAnythingElseIsAConflictAtOnce() {
    api.on(RUN + "/cancel", json(409, "{\"detail\":\"run r-1 is COMPLETED\"}", "Retry-After", "0"));
    Conflict e = assertThrows(Conflict.class, () -> api.client().cancel("r-1"));
    assertEquals("run r-1 is COMPLETED", e.getMessage());
    assertEquals(409, e.status());
    assertEquals(1, api.seen(RUN + "/cancel").size());
  }

  @Test
  void a503SixTimesIsAServerErrorAfterFiveRetries() {
    for (int i = 0; i < 6; i++) {
      api.on(
          RUN, json(503, "{\"detail\":\"database unavailable, try again\"}", "Retry-After", "0"));
    }
    api.on(RUN, json(200, RUN_JSON)); // never reached
    ServerError e = assertThrows(ServerError.class, () -> api.client().get("r-1"));
    assertEquals(503, e.status());
    assertEquals("database unavailable, try again", e.getMessage());
    assertEquals(6, api.seen(RUN).size());
  }

  @Test
  void a429AfterEveryRetryIsRateLimitedWithItsRetryAfter() {
    Client client = Client.builder().apiUrl(api.url()).environment(Map.of()).maxRetries(1).build();
    api.on(
        "/workflow/w/trigger",
        json(429, "{\"detail\":\"backlog\"}", "Retry-After", "0"),
        json(429, "{\"detail\":\"backlog\"}", "Retry-After", "0"));
    RateLimited e = assertThrows(RateLimited.class, () -> client.trigger("w", 1));
    assertEquals(0.0, e.retryAfter());
    assertEquals(2, api.seen("/workflow/w/trigger").size());
  }

  @Test
  void a404IsNotFound() {
    api.on(RUN, json(404, "{\"detail\":\"run r-1 not found\"}"));
    NotFound e = assertThrows(NotFound.class, () -> api.client().get("r-1"));
    assertEquals("run r-1 not found", e.getMessage());
    assertEquals("run r-1 not found", e.body().path("detail").asText());
  }

  @Test
  void a422IsAnInvalidRequestWithTheApisMessage() {
    api.on(
        "/workflow/",
        json(
            422,
            "{\"detail\":[{\"loc\":[\"body\",\"steps\",0,\"dependsOn\"],\"msg\":\"cycle\"}],"
                + "\"message\":\"body.steps[0].dependsOn: cycle: a -> a\"}"),
        json(
            422,
            "{\"detail\":[{\"loc\":[\"body\",\"input\"],\"msg\":\"too deep\",\"type\":\"x\"}]}"));
    Client client = api.client();
    InvalidRequest definition =
        assertThrows(InvalidRequest.class, () -> client.define(Map.of("id", "w")));
    assertEquals("body.steps[0].dependsOn: cycle: a -> a", definition.getMessage());
    InvalidRequest validation =
        assertThrows(InvalidRequest.class, () -> client.define(Map.of("id", "w")));
    assertEquals("body.input: too deep", validation.getMessage());
  }

  @Test
  void aLostAnswerIsRetriedForAGetButNeverForACancel() {
    api.on(RUN, drop(), json(200, RUN_JSON));
    assertEquals("r-1", api.client().get("r-1").runId());
    api.on(RUN + "/cancel", drop(), json(200, "{}"));
    ConnectionFailed e = assertThrows(ConnectionFailed.class, () -> api.client().cancel("r-1"));
    assertTrue(e.getMessage().contains(api.url() + RUN + "/cancel"), e.getMessage());
    assertEquals(1, api.seen(RUN + "/cancel").size());
  }

  @Test
  void noServerIsConnectionFailedNamingTheUrl() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      port = socket.getLocalPort();
    }
    Client client =
        Client.builder()
            .apiUrl("http://127.0.0.1:" + port)
            .environment(Map.of())
            .backoff(Duration.ofMillis(1), Duration.ofMillis(1))
            .build();
    ConnectionFailed e = assertThrows(ConnectionFailed.class, () -> client.get("r-1"));
    assertTrue(e.getMessage().contains("http://127.0.0.1:" + port + RUN), e.getMessage());
    assertTrue(e.getMessage().contains("after 5 retries"), e.getMessage());
  }

  @Test
  void theKeyIsSentAsABearerTokenAndTheEnvironmentConfigures() {
    api.on(RUN, json(200, RUN_JSON));
    Client client =
        Client.builder()
            .environment(Map.of("LEGATO_API_URL", api.url(), "LEGATO_API_KEY", "sekret"))
            .build();
    assertEquals(api.url(), client.apiUrl());
    client.get("r-1");
    assertEquals("Bearer sekret", api.seen(RUN).get(0).header("Authorization"));
    assertEquals("http://localhost:8080", Client.builder().environment(Map.of()).build().apiUrl());
  }

  @Test
  void noKeyNoAuthorization() {
    api.on(RUN + "/pause", json(200, "{\"runId\":\"r-1\",\"status\":\"PAUSED\",\"changed\":true}"));
    assertTrue(api.client().pause("r-1").path("changed").asBoolean());
    FakeApi.Seen seen = api.seen(RUN + "/pause").get(0);
    assertNull(seen.header("Authorization"));
    assertNull(seen.header("Content-Type")); // no body
    assertNull(seen.header("Upgrade")); // HTTP/1.1: uvicorn drops the body of an h2c upgrade
  }

  @Test
  void listRunsFollowsTheCursorUpToTheLimit() {
    api.on(
        "/workflow/runs",
        json(200, "{\"runs\":[{\"runId\":\"a\"},{\"runId\":\"b\"}],\"nextCursor\":\"c 1\"}"),
        json(200, "{\"runs\":[{\"runId\":\"c\"}],\"nextCursor\":\"c2\"}"));
    List<String> ids = api.client().listRuns("w", "RUNNING", 3).map(RunSummary::runId).toList();
    assertEquals(List.of("a", "b", "c"), ids);
    List<FakeApi.Seen> seen = api.seen("/workflow/runs");
    assertEquals(2, seen.size());
    assertEquals("limit=3&workflowId=w&status=RUNNING", seen.get(0).query());
    assertEquals("limit=1&workflowId=w&status=RUNNING&cursor=c%201", seen.get(1).query());
  }
}
