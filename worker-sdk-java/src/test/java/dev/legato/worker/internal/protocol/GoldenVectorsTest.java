package dev.legato.worker.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.legato.protocol.Cancel;
import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.Result;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * schemas/testdata: every SDK decodes each vector to its datum and re-encodes it byte for byte; a
 * vector of an older schema version also reads as its resolved.json with the newest schema.
 */
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

  /**
   * A case written by the newest version of its record decodes to its datum and re-encodes byte for
   * byte. A case written by an older version (it has a resolved.json) decodes, with that writer
   * schema, to its datum and back to the same bytes, and the codec (the newest reader) reads it as
   * resolved.json says.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decodesToDatumAndReencodesByteForByte(Path dir) throws Exception {
    JsonNode spec = JSON.readTree(dir.resolve("datum.json").toFile());
    byte[] encoded = Files.readAllBytes(dir.resolve("encoded.bin"));
    String schemaRef = spec.get("schema").asText();
    SchemaCatalog.Version writer = codec.writerOf(encoded);
    assertEquals(schemaRef, writer.ref());

    Path resolvedFile = dir.resolve("resolved.json");
    if (Files.exists(resolvedFile)) {
      GenericRecord asWritten = decodeWith(writer.schema(), encoded);
      assertEquals(spec.get("datum"), toJson(asWritten));
      assertArrayEquals(encoded, encodeWith(writer.schema(), asWritten));
      JsonNode resolved = JSON.readTree(resolvedFile.toFile());
      IndexedRecord asRead = decodeNewest(writer.name(), encoded);
      assertEquals(resolved.get("schema").asText(), newestRef(writer.name()));
      assertEquals(resolved.get("datum"), toJson(asRead));
      return;
    }
    assertEquals(schemaRef, newestRef(writer.name()), "a case without resolved.json is newest");
    IndexedRecord decoded = decodeNewest(writer.name(), encoded);
    assertEquals(spec.get("datum"), toJson(decoded));
    assertArrayEquals(encoded, encodeNewest(decoded));
  }

  @Test
  void v1JobsResolveToV2WithTheNewFieldsNull() throws Exception {
    List<Path> resolved =
        cases().stream().filter(d -> Files.exists(d.resolve("resolved.json"))).toList();
    assertTrue(
        resolved.stream()
            .map(d -> d.getFileName().toString())
            .toList()
            .containsAll(List.of("job-full", "job-minimal")));
    for (Path dir : resolved) {
      ObjectNode expected =
          (ObjectNode) JSON.readTree(dir.resolve("datum.json").toFile()).get("datum");
      expected
          .putNull("startToCloseMs")
          .putNull("heartbeatTimeoutMs")
          .putNull("lastHeartbeatDetails");
      Job job = codec.decodeJob(Files.readAllBytes(dir.resolve("encoded.bin")));
      assertEquals(expected, toJson(job));
    }
  }

  @Test
  void theResultsTopicCarriesResultsAndProgress() throws Exception {
    assertTrue(codec.decodeResultsRecord(vector("result-completed")) instanceof Result);
    assertTrue(codec.decodeResultsRecord(vector("progress-heartbeat")) instanceof Progress);
    DecodeException e =
        assertThrows(
            DecodeException.class, () -> codec.decodeResultsRecord(vector("cancel-run-cancelled")));
    assertTrue(e.getMessage().contains("expected a Result or Progress"), e.getMessage());
    assertThrows(DecodeException.class, () -> codec.decodeJob(vector("progress-started")));
  }

  private static byte[] vector(String name) throws IOException {
    return Files.readAllBytes(
        SchemasDir.get().resolve("testdata").resolve(name).resolve("encoded.bin"));
  }

  private String newestRef(String name) {
    return SchemaCatalog.get().versions().stream()
        .filter(v -> v.name().equals(name))
        .reduce((a, b) -> b)
        .orElseThrow()
        .ref();
  }

  private IndexedRecord decodeNewest(String name, byte[] encoded) throws DecodeException {
    return switch (name) {
      case "Job" -> codec.decodeJob(encoded);
      case "Result" -> codec.decodeResult(encoded);
      case "Progress" -> codec.decodeProgress(encoded);
      case "Cancel" -> codec.decodeCancel(encoded);
      default -> throw new IllegalArgumentException("no codec for " + name);
    };
  }

  private byte[] encodeNewest(IndexedRecord record) {
    if (record instanceof Job job) {
      return codec.encodeJob(job);
    }
    if (record instanceof Result result) {
      return codec.encodeResult(result);
    }
    if (record instanceof Progress progress) {
      return codec.encodeProgress(progress);
    }
    return codec.encodeCancel((Cancel) record);
  }

  private static GenericRecord decodeWith(Schema writer, byte[] encoded) throws IOException {
    BinaryMessageDecoder<GenericRecord> decoder =
        new BinaryMessageDecoder<>(GenericData.get(), writer);
    return decoder.decode(encoded);
  }

  private static byte[] encodeWith(Schema writer, GenericRecord record) throws IOException {
    ByteBuffer buffer =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(record);
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
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
    if (value instanceof Long l) { // as Jackson reads datum.json: an int node when it fits
      return l == l.intValue() ? f.numberNode(l.intValue()) : f.numberNode(l);
    }
    if (value instanceof Boolean b) {
      return f.booleanNode(b);
    }
    throw new IllegalArgumentException("unexpected Avro value " + value.getClass());
  }
}
