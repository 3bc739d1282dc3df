package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * 409: the run is not in a state the operation applies to (or a trigger's key is still in flight
 * after every retry).
 */
public class Conflict extends ApiError {
  private static final long serialVersionUID = 1L;

  public Conflict(int status, String message, JsonNode body) {
    super(status, message, body);
  }
}
