package dev.legato.worker.internal.execute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** JSON text to and from values: payloads in, outputs and error details out. */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder().findAndAddModules().build();

  private Json() {}

  public static JsonNode parse(String text) throws JsonProcessingException {
    return MAPPER.readTree(text);
  }

  public static String write(Object value) throws JsonProcessingException {
    return MAPPER.writeValueAsString(value);
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
