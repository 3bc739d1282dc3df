package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/** A run as the run list ({@code GET /workflow/runs}) gives it; {@link #raw()} has every field. */
public record RunSummary(
    String runId, String workflowId, int version, String status, JsonNode error, JsonNode raw) {

  static RunSummary of(JsonNode raw) {
    return new RunSummary(
        raw.path("runId").asText(),
        raw.path("workflowId").asText(),
        raw.path("version").asInt(),
        raw.path("status").asText(),
        raw.path("error"),
        raw);
  }
}
