package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/** 401: no API key, or a key the API does not know. */
public class Unauthorized extends ApiError {
  private static final long serialVersionUID = 1L;

  public Unauthorized(int status, String message, JsonNode body) {
    super(status, message, body);
  }
}
