package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One event of a run's history ({@code RUN_CREATED}, {@code STEP_COMPLETED}, ...), as {@code GET
 * /workflow/run/{runId}/events} and its stream give it. {@code stepId} and {@code attempt} are null
 * for a run-level event; {@link #raw()} is the whole object.
 */
public record RunEvent(
    long id, String at, String type, String stepId, Integer attempt, JsonNode data, JsonNode raw) {

  static RunEvent of(JsonNode raw) {
    JsonNode step = raw.path("stepId");
    JsonNode attempt = raw.path("attempt");
    return new RunEvent(
        raw.path("id").asLong(),
        raw.path("at").asText(),
        raw.path("type").asText(),
        step.isTextual() ? step.asText() : null,
        attempt.isIntegralNumber() ? attempt.asInt() : null,
        raw.path("data"),
        raw);
  }
}
