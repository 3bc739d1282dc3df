package dev.legato.worker;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Runs one workflow step. Gets the step's input as a parsed JSON value and returns its output: any
 * value Jackson can serialise (a {@link JsonNode}, a String, a Map, a record, ...), or null.
 *
 * <p>Throwing marks the attempt FAILED, never COMPLETED. Throw an {@link ApplicationError} to set
 * the error type and details, or a {@link NonRetryableError} to skip the remaining retries.
 */
@FunctionalInterface
public interface Handler {
  Object handle(JsonNode payload) throws Exception;
}
