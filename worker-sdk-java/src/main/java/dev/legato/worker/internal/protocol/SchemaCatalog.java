package dev.legato.worker.internal.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Every schema version under {@code schemas/v*}/ (copied into the jar at build time), indexed by
 * the fingerprint that single-object encoding writes after {@code C3 01}.
 */
public final class SchemaCatalog {
  /** Resource folder holding {@code v<N>/<Name>.avsc}. */
  static final String ROOT = "dev/legato/worker/internal/protocol/schemas/";

  private static final Pattern ENTRY = Pattern.compile("(?:^|/)(v(\\d+))/([A-Za-z0-9_]+)\\.avsc$");

  /** One schema file: {@code v1/Job}. */
  public record Version(
      String version, int number, String name, Schema schema, String fingerprint) {
    public String ref() {
      return version + "/" + name;
    }
  }

  private static final SchemaCatalog INSTANCE = load();

  private final Map<String, Version> byFingerprint;

  private SchemaCatalog(List<Version> versions) {
    Map<String, Version> index = new LinkedHashMap<>();
    for (Version v : versions) {
      index.put(v.fingerprint(), v);
    }
    this.byFingerprint = Collections.unmodifiableMap(index);
  }

  public static SchemaCatalog get() {
    return INSTANCE;
  }

  /** All known versions, oldest first. */
  public List<Version> versions() {
    List<Version> all = new ArrayList<>(byFingerprint.values());
    all.sort(Comparator.comparingInt(Version::number).thenComparing(Version::name));
    return all;
  }

  /** Every known version of one record (e.g. all {@code Job} schemas). */
  public List<Schema> schemasOf(String name) {
    return versions().stream().filter(v -> v.name().equals(name)).map(Version::schema).toList();
  }

  public Optional<Version> byFingerprint(String hex) {
    return Optional.ofNullable(byFingerprint.get(hex));
  }

  /** The 8 header bytes (little-endian CRC-64-AVRO of the Parsing Canonical Form), as hex. */
  public static String fingerprint(Schema schema) {
    long fp = SchemaNormalization.parsingFingerprint64(schema);
    byte[] bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(fp).array();
    return HexFormat.of().formatHex(bytes);
  }

  private static SchemaCatalog load() {
    List<String> entries = listResources();
    if (entries.isEmpty()) {
      throw new IllegalStateException("no Avro schemas found on the classpath under " + ROOT);
    }
    List<Version> versions = new ArrayList<>();
    ClassLoader loader = SchemaCatalog.class.getClassLoader();
    for (String entry : entries) {
      Matcher m = ENTRY.matcher(entry);
      if (!m.find()) {
        continue;
      }
      String resource = ROOT + m.group(1) + "/" + m.group(3) + ".avsc";
      try (InputStream in = loader.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing schema resource " + resource);
        }
        Schema schema = new Schema.Parser().parse(in);
        versions.add(
            new Version(
                m.group(1), Integer.parseInt(m.group(2)), m.group(3), schema, fingerprint(schema)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read schema " + resource, e);
      }
    }
    return new SchemaCatalog(versions);
  }

  /** Paths of the schema files, from the jar or the directory this class was loaded from. */
  private static List<String> listResources() {
    URL self = SchemaCatalog.class.getResource(SchemaCatalog.class.getSimpleName() + ".class");
    if (self == null) {
      return List.of();
    }
    try {
      if ("jar".equals(self.getProtocol())) {
        JarURLConnection connection = (JarURLConnection) self.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
          return jar.stream()
              .map(JarEntry::getName)
              .filter(n -> n.startsWith(ROOT) && n.endsWith(".avsc"))
              .toList();
        }
      }
      // A classes directory: this class sits in .../dev/legato/worker/internal/protocol/.
      Path root = Path.of(self.toURI()).getParent().resolve("schemas");
      if (!Files.isDirectory(root)) {
        return List.of();
      }
      try (Stream<Path> files = Files.walk(root, 2)) {
        return files
            .filter(p -> p.toString().endsWith(".avsc"))
            .map(p -> root.relativize(p).toString().replace('\\', '/'))
            .toList();
      }
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot list the Avro schemas under " + ROOT, e);
    }
  }
}
