package dev.legato.worker.internal.protocol;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's schemas/ folder (the build passes it as legato.schemas.dir). */
public final class SchemasDir {
  private SchemasDir() {}

  public static Path get() {
    Path dir = Path.of(System.getProperty("legato.schemas.dir", "../schemas"));
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("schemas folder not found at " + dir.toAbsolutePath());
    }
    return dir;
  }
}
