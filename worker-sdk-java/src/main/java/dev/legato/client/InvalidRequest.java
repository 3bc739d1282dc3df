package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/** 400, 415 or 422: the request is not valid (the message says what and where). */
public class InvalidRequest extends ApiError {
  private static final long serialVersionUID = 1L;

  public InvalidRequest(int status, String message, JsonNode body) {
    super(status, message, body);
  }
}
