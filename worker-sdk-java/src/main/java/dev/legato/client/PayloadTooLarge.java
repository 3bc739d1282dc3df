package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/** 413: the body or an input is over the API's limit. */
public class PayloadTooLarge extends ApiError {
  private static final long serialVersionUID = 1L;

  public PayloadTooLarge(int status, String message, JsonNode body) {
    super(status, message, body);
  }
}
