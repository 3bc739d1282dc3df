package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.stream.Stream;

/** A run of a {@link Client}: its id and what can be asked about it. Makes no request itself. */
public final class RunHandle {
  private final Client client;
  private final String runId;

  RunHandle(Client client, String runId) {
    this.client = client;
    this.runId = runId;
  }

  public String runId() {
    return runId;
  }

  /** {@link Client#get}. */
  public Run get() {
    return client.get(runId);
  }

  /** {@link Client#result(String, Duration)}. */
  public JsonNode result(Duration timeout) {
    return client.result(runId, timeout);
  }

  /** {@link Client#result(String)}: waits as long as the run takes. */
  public JsonNode result() {
    return client.result(runId);
  }

  /** {@link Client#events(String)}. */
  public Stream<RunEvent> events() {
    return client.events(runId);
  }

  @Override
  public String toString() {
    return "RunHandle[" + runId + "]";
  }
}
