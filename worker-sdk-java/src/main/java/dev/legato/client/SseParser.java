package dev.legato.client;

/**
 * Server-Sent Events parsing, line by line, per the WHATWG HTML standard ("Interpreting an event
 * stream"): {@code field: value} lines (one leading space of the value dropped), {@code :}
 * comments, {@code data} lines joined with newlines, a blank line dispatching the message. The
 * caller splits lines (CR, LF or CRLF) and decodes UTF-8. Not thread-safe.
 */
final class SseParser {
  /** One dispatched message: {@code event} ("message" when unnamed), its data, the last id. */
  record Message(String event, String data, String lastEventId) {}

  private final StringBuilder data = new StringBuilder();
  private String eventType = "";
  private String lastEventId = "";
  private boolean hasData;
  private boolean first = true;
  private Long retryMillis;

  /** Feeds one line (without its end); returns the message a blank line dispatches, else null. */
  Message line(String line) {
    if (first) {
      first = false;
      if (line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
    }
    if (line.isEmpty()) {
      return dispatch();
    }
    if (line.charAt(0) == ':') {
      return null;
    }
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = colon < 0 ? "" : line.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "event" -> eventType = value;
      case "data" -> {
        data.append(value).append('\n');
        hasData = true;
      }
      case "id" -> {
        if (value.indexOf('\0') < 0) {
          lastEventId = value;
        }
      }
      case "retry" -> {
        if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
          try {
            retryMillis = Long.parseLong(value);
          } catch (NumberFormatException e) {
            // too large to be a reconnection time: ignored, as any other bad field
          }
        }
      }
      default -> {}
    }
    return null;
  }

  private Message dispatch() {
    if (!hasData) {
      eventType = "";
      return null;
    }
    data.setLength(data.length() - 1); // the last data line's newline
    Message message =
        new Message(eventType.isEmpty() ? "message" : eventType, data.toString(), lastEventId);
    data.setLength(0);
    hasData = false;
    eventType = "";
    return message;
  }

  /** The last event id seen (kept across messages, as the standard's "last event ID buffer"). */
  String lastEventId() {
    return lastEventId;
  }

  /** The server's {@code retry:} reconnection time in ms, or null if it sent none. */
  Long retryMillis() {
    return retryMillis;
  }
}
