package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A run as {@code GET /workflow/run/{runId}} answers it. {@code input}, {@code output} and {@code
 * error} are JSON values (a null node when null); {@code steps} the array of its steps; {@link
 * #raw()} the whole answer (timestamps, parent run, priority, ...).
 */
public record Run(
    String runId,
    String workflowId,
    int version,
    String status,
    JsonNode input,
    JsonNode output,
    JsonNode error,
    JsonNode steps,
    JsonNode raw) {

  static Run of(JsonNode raw) {
    return new Run(
        raw.path("runId").asText(),
        raw.path("workflowId").asText(),
        raw.path("version").asInt(),
        raw.path("status").asText(),
        raw.path("input"),
        raw.path("output"),
        raw.path("error"),
        raw.path("steps"),
        raw);
  }

  /** COMPLETED, FAILED or CANCELLED. */
  public boolean isEnded() {
    return status.equals("COMPLETED") || status.equals("FAILED") || status.equals("CANCELLED");
  }
}
