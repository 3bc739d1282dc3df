package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/** 403: the API key lacks the scope the operation needs. */
public class Forbidden extends ApiError {
  private static final long serialVersionUID = 1L;

  public Forbidden(int status, String message, JsonNode body) {
    super(status, message, body);
  }
}
