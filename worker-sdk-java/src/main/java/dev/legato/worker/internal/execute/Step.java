package dev.legato.worker.internal.execute;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A handler as the runner calls it: the attempt it runs for, and the parsed payload. The API binds
 * its {@code Handler}s to this (with their {@code JobContext} and the mapping of a cancelled
 * attempt's interruption), so this package never depends on the API's types.
 */
@FunctionalInterface
public interface Step {
  Object run(Attempt attempt, JsonNode payload) throws Exception;
}
