package dev.legato.worker.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** schemas/testdata: every SDK decodes each vector to its datum and re-encodes it byte for byte. */
class GoldenVectorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final MessageCodec codec = new MessageCodec();

  static List<Path> cases() throws IOException {
    try (Stream<Path> dirs = Files.list(SchemasDir.get().resolve("testdata"))) {
      return dirs.filter(Files::isDirectory).sorted().toList();
    }
  }

  @Test
  void thereAreVectors() throws IOException {
    assertFalse(cases().isEmpty());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decodesToDatumAndReencodesByteForByte(Path dir) throws Exception {
    JsonNode spec = JSON.readTree(dir.resolve("datum.json").toFile());
    byte[] encoded = Files.readAllBytes(dir.resolve("encoded.bin"));
    String schemaRef = spec.get("schema").asText();

    assertEquals(schemaRef, codec.writerOf(encoded).ref());
    byte[] reencoded;
    IndexedRecord decoded;
    if (schemaRef.endsWith("/Job")) {
      var job = codec.decodeJob(encoded);
      decoded = job;
      reencoded = codec.encodeJob(job);
    } else {
      var result = codec.decodeResult(encoded);
      decoded = result;
      reencoded = codec.encodeResult(result);
    }
    assertEquals(spec.get("datum"), toJson(decoded));
    assertArrayEquals(encoded, reencoded);
  }

  /** The datum.json form: unions unwrapped, enums as their symbol. */
  static JsonNode toJson(Object value) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (value == null) {
      return f.nullNode();
    }
    if (value instanceof IndexedRecord record) {
      ObjectNode node = f.objectNode();
      for (Schema.Field field : record.getSchema().getFields()) {
        node.set(field.name(), toJson(record.get(field.pos())));
      }
      return node;
    }
    if (value instanceof CharSequence || value instanceof Enum<?>) {
      return f.textNode(value.toString());
    }
    if (value instanceof GenericEnumSymbol<?> symbol) {
      return f.textNode(symbol.toString());
    }
    if (value instanceof Integer i) {
      return f.numberNode(i);
    }
    if (value instanceof Long l) {
      return f.numberNode(l);
    }
    if (value instanceof Boolean b) {
      return f.booleanNode(b);
    }
    throw new IllegalArgumentException("unexpected Avro value " + value.getClass());
  }
}
