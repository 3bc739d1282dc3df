package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/** 5xx (a 503 after every retry). */
public class ServerError extends ApiError {
  private static final long serialVersionUID = 1L;

  public ServerError(int status, String message, JsonNode body) {
    super(status, message, body);
  }
}
