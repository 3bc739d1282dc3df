package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/** 404: no such workflow or run. */
public class NotFound extends ApiError {
  private static final long serialVersionUID = 1L;

  public NotFound(int status, String message, JsonNode body) {
    super(status, message, body);
  }
}
