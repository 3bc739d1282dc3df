package dev.legato.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ExampleWorkerAppTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void handJavaAppendsToTheTrail() throws Exception {
    JsonNode out = ExampleWorkerApp.handJava(json.readTree("{\"trail\": [\"python 3.12\"]}"));
    assertEquals(2, out.get("trail").size());
    assertEquals("python 3.12", out.get("trail").get(0).asText());
    assertEquals("java " + Runtime.version(), out.get("trail").get(1).asText());
  }

  @Test
  void handJavaStartsATrailWhenThereIsNone() throws Exception {
    JsonNode out = ExampleWorkerApp.handJava(json.readTree("{}"));
    assertEquals(1, out.get("trail").size());
  }
}
