package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The API answered with an error status; a subclass tells which ({@link NotFound}, {@link
 * Conflict}, ...). {@link #getMessage()} is the API's own message ({@code detail}).
 */
public class ApiError extends LegatoException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final transient JsonNode body;

  public ApiError(int status, String message, JsonNode body) {
    super(message);
    this.status = status;
    this.body = body;
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  /** The error body as the API sent it (a JSON object, or a text node when it was not JSON). */
  public JsonNode body() {
    return body;
  }
}
