package dev.legato.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The WHATWG event-stream rules the parser follows. */
class SseParserTest {
  private static List<SseParser.Message> parse(SseParser parser, String... lines) {
    List<SseParser.Message> out = new ArrayList<>();
    for (String line : lines) {
      SseParser.Message m = parser.line(line);
      if (m != null) {
        out.add(m);
      }
    }
    return out;
  }

  @Test
  void theLegatoStream() {
    SseParser parser = new SseParser();
    List<SseParser.Message> messages =
        parse(
            parser,
            "retry: 1000",
            "",
            "id: 17",
            "event: STEP_COMPLETED",
            "data: {\"id\":17}",
            "",
            ": keepalive",
            "",
            "event: end",
            "data: {\"status\":\"COMPLETED\"}",
            "");
    assertEquals(
        List.of(
            new SseParser.Message("STEP_COMPLETED", "{\"id\":17}", "17"),
            new SseParser.Message("end", "{\"status\":\"COMPLETED\"}", "17")),
        messages);
    assertEquals(1000L, parser.retryMillis());
  }

  @Test
  void dataLinesJoinAndOnlyOneSpaceIsDropped() {
    List<SseParser.Message> messages =
        parse(new SseParser(), "data:a", "data:  b", "data", "", "data: x:y", "");
    assertEquals("a\n b\n", messages.get(0).data());
    assertEquals("message", messages.get(0).event());
    assertEquals("x:y", messages.get(1).data());
  }

  @Test
  void noDataDispatchesNothingAndResetsTheEventType() {
    SseParser parser = new SseParser();
    assertEquals(List.of(), parse(parser, "event: x", "id: 3", ""));
    List<SseParser.Message> messages = parse(parser, "data: d", "");
    assertEquals(List.of(new SseParser.Message("message", "d", "3")), messages);
  }

  @Test
  void aBomIsDroppedAndBadFieldsAreIgnored() {
    SseParser parser = new SseParser();
    List<SseParser.Message> messages =
        parse(parser, "\uFEFFid: 1", "retry: 10x", "id: a\0b", "unknown: q", "data: z", "");
    assertEquals(List.of(new SseParser.Message("message", "z", "1")), messages);
    assertNull(parser.retryMillis());
  }

  @Test
  void anEmptyIdClearsTheLastEventId() {
    SseParser parser = new SseParser();
    parse(parser, "id: 5", "data: a", "");
    assertEquals("", parse(parser, "id", "data: b", "").get(0).lastEventId());
  }
}
