package dev.legato.worker.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.legato.protocol.Cancel;
import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class FingerprintsTest {
  private static Map<String, String> expected() throws IOException {
    Path file = SchemasDir.get().resolve("fingerprints.txt");
    return Files.readAllLines(file).stream()
        .filter(line -> !line.isBlank())
        .map(line -> line.trim().split("\\s+"))
        .collect(Collectors.toMap(p -> p[0], p -> p[1], (a, b) -> b, TreeMap::new));
  }

  @Test
  void schemaFilesHaveTheListedFingerprints() throws IOException {
    Map<String, String> actual = new TreeMap<>();
    try (Stream<Path> files = Files.walk(SchemasDir.get(), 2)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".avsc")).toList()) {
        String ref = file.getParent().getFileName() + "/" + file.getFileName();
        Schema schema = new Schema.Parser().parse(file.toFile());
        actual.put(ref.replace(".avsc", ""), SchemaCatalog.fingerprint(schema));
      }
    }
    assertEquals(expected(), actual);
  }

  @Test
  void catalogKnowsEverySchemaVersionOnDisk() throws IOException {
    Map<String, String> known = new TreeMap<>();
    for (SchemaCatalog.Version v : SchemaCatalog.get().versions()) {
      known.put(v.ref(), v.fingerprint());
    }
    assertEquals(expected(), known);
  }

  @Test
  void generatedClassesMatchTheNewestSchemas() throws IOException {
    Map<String, String> expected = expected();
    for (Schema generated :
        List.of(
            Job.getClassSchema(),
            Result.getClassSchema(),
            Progress.getClassSchema(),
            Cancel.getClassSchema())) {
      String newest = newest(expected, generated.getName());
      assertEquals(
          expected.get(newest), SchemaCatalog.fingerprint(generated), "generated from " + newest);
    }
    // Every record of schemas/ has a generated class above.
    assertEquals(
        Set.of("Job", "Result", "Progress", "Cancel"),
        expected.keySet().stream()
            .map(r -> r.substring(r.indexOf('/') + 1))
            .collect(Collectors.toSet()));
  }

  private static String newest(Map<String, String> refs, String name) {
    return refs.keySet().stream()
        .filter(ref -> ref.endsWith("/" + name))
        .max((a, b) -> Integer.compare(version(a), version(b)))
        .orElseThrow();
  }

  private static int version(String ref) {
    return Integer.parseInt(ref.substring(1, ref.indexOf('/')));
  }
}
