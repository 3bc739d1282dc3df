package dev.legato.client;

import static dev.legato.client.FakeApi.json;
import static dev.legato.client.FakeApi.stream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Awaiting a run through its event stream, resuming a dropped stream with Last-Event-ID. */
@Timeout(20)
class ClientStreamTest {
  private static final String RUN = "/workflow/run/r-1";
  private static final String STREAM = RUN + "/events/stream";

  private final FakeApi api;

  ClientStreamTest() throws IOException {
    api = new FakeApi();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private static String event(long id, String type) {
    return "id: "
        + id
        + "\nevent: "
        + type
        + "\ndata: {\"id\":"
        + id
        + ",\"type\":\""
        + type
        + "\",\"at\":\"2026-12-07T10:00:00+00:00\",\"stepId\":null,\"attempt\":null,\"data\":null}\n";
  }

  private static String end(String status) {
    return "event: end\ndata: {\"runId\":\"r-1\",\"status\":\"" + status + "\"}\n";
  }

  private static String run(String status, String output, String error) {
    return "{\"runId\":\"r-1\",\"workflowId\":\"w\",\"version\":1,\"status\":\""
        + status
        + "\",\"input\":null,\"output\":"
        + output
        + ",\"error\":"
        + error
        + ",\"steps\":[]}";
  }

  @Test
  void aDroppedStreamResumesWithTheLastEventIdAndTheResultIsTheRunsOutput() {
    api.on(
        STREAM,
        stream("retry: 1000", "", event(1, "RUN_CREATED"), event(2, "STEP_SCHEDULED"), "id: 3"),
        stream(": keepalive", "", event(3, "STEP_COMPLETED"), end("COMPLETED")));
    api.on(RUN, json(200, run("COMPLETED", "{\"total\":3}", "null")));
    assertEquals(3, api.client().result("r-1", Duration.ofSeconds(10)).path("total").asInt());
    List<FakeApi.Seen> seen = api.seen(STREAM);
    assertEquals(2, seen.size());
    assertNull(seen.get(0).header("Last-Event-ID"));
    // "id: 3" of an unfinished message is discarded at the end of the stream
    assertEquals("2", seen.get(1).header("Last-Event-ID"));
    assertEquals("text/event-stream", seen.get(0).header("Accept"));
  }

  @Test
  void eventsAreTheHistoryInOrderThroughTheEnd() {
    api.on(STREAM, stream(event(5, "STEP_COMPLETED"), event(6, "RUN_COMPLETED"), end("COMPLETED")));
    try (Stream<RunEvent> events = api.client().events("r-1", 4)) {
      List<RunEvent> list = events.toList();
      assertEquals(
          List.of("STEP_COMPLETED", "RUN_COMPLETED"), list.stream().map(RunEvent::type).toList());
      assertEquals(6, list.get(1).id());
      assertNull(list.get(1).stepId());
    }
    assertEquals("4", api.seen(STREAM).get(0).header("Last-Event-ID"));
  }

  @Test
  void aFailedRunRaisesRunFailedWithItsErrorType() {
    api.on(STREAM, stream(end("FAILED")));
    api.on(
        RUN,
        json(
            200,
            run(
                "FAILED",
                "null",
                "{\"stepId\":\"a\",\"type\":\"CardDeclined\",\"message\":\"no\"}")));
    RunFailed e = assertThrows(RunFailed.class, () -> api.client().result("r-1"));
    assertEquals("CardDeclined", e.error().path("type").asText());
    assertTrue(e.getMessage().contains("CardDeclined"), e.getMessage());
    assertEquals("FAILED", e.run().status());
  }

  @Test
  void aCancelledRunRaisesRunCancelled() {
    api.on(STREAM, stream(end("CANCELLED")));
    api.on(RUN, json(200, run("CANCELLED", "null", "null")));
    assertThrows(RunCancelled.class, () -> api.client().run("r-1").result(Duration.ofSeconds(5)));
  }

  @Test
  void aRunThatDoesNotEndInTimeIsAnAwaitTimeout() {
    api.on(STREAM, api.holdOpen(event(1, "RUN_CREATED"), ": keepalive"));
    AwaitTimeout e =
        assertThrows(AwaitTimeout.class, () -> api.client().result("r-1", Duration.ofMillis(300)));
    assertTrue(e.getMessage().contains("r-1"));
    assertEquals(List.of(), api.seen(RUN)); // never polled
  }

  @Test
  void anUnknownRunIsNotFoundBeforeAnyStream() {
    api.on(STREAM, json(404, "{\"detail\":\"run r-1 not found\"}"));
    NotFound e = assertThrows(NotFound.class, () -> api.client().result("r-1"));
    assertEquals("run r-1 not found", e.getMessage());
  }

  @Test
  void opening503IsRetried() {
    api.on(STREAM, json(503, "{\"detail\":\"db\"}", "Retry-After", "0"), stream(end("COMPLETED")));
    api.on(RUN, json(200, run("COMPLETED", "\"ok\"", "null")));
    assertEquals("ok", api.client().result("r-1").asText());
  }
}
