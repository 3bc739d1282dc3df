package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;

/** An error answer as its typed exception, with the API's message. */
final class Errors {
  private static final int MAX_TEXT = 500;

  private Errors() {}

  static ApiError of(int status, String text, Double retryAfter, ObjectMapper mapper) {
    JsonNode body = parse(text, mapper);
    String message = message(status, body);
    return switch (status) {
      case 400, 415, 422 -> new InvalidRequest(status, message, body);
      case 401 -> new Unauthorized(status, message, body);
      case 403 -> new Forbidden(status, message, body);
      case 404 -> new NotFound(status, message, body);
      case 409 -> new Conflict(status, message, body);
      case 413 -> new PayloadTooLarge(status, message, body);
      case 429 -> new RateLimited(status, message, body, retryAfter);
      default ->
          status >= 500
              ? new ServerError(status, message, body)
              : new ApiError(status, message, body);
    };
  }

  private static JsonNode parse(String text, ObjectMapper mapper) {
    try {
      JsonNode node = mapper.readTree(text);
      return node == null || node.isMissingNode() ? TextNode.valueOf(text) : node;
    } catch (Exception e) {
      return TextNode.valueOf(text);
    }
  }

  /**
   * The API's words: {@code message} (a definition error, with the field's path), else a string
   * {@code detail}, else a validation list as {@code loc: msg; ...}.
   */
  static String message(int status, JsonNode body) {
    if (body.path("message").isTextual()) {
      return body.get("message").asText();
    }
    JsonNode detail = body.path("detail");
    if (detail.isTextual()) {
      return detail.asText();
    }
    if (detail.isArray() && !detail.isEmpty()) {
      List<String> parts = new ArrayList<>();
      for (JsonNode item : detail) {
        String where = location(item.path("loc"));
        String msg = item.path("msg").asText("");
        parts.add(where.isEmpty() ? msg : where + ": " + msg);
      }
      return String.join("; ", parts);
    }
    String text = body.isTextual() ? body.asText() : body.toString();
    text = text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "..." : text;
    return "HTTP " + status + (text.isBlank() ? "" : ": " + text.strip());
  }

  /** {@code ["body", "steps", 2, "input"]} as {@code body.steps[2].input}. */
  private static String location(JsonNode loc) {
    StringBuilder out = new StringBuilder();
    for (JsonNode part : loc) {
      if (part.isInt()) {
        out.append('[').append(part.asInt()).append(']');
      } else {
        out.append(out.length() == 0 ? "" : ".").append(part.asText());
      }
    }
    return out.toString();
  }
}
