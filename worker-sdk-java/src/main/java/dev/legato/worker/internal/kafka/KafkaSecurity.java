package dev.legato.worker.internal.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * The {@code LEGATO_KAFKA_*} security settings as kafka-clients properties: {@code
 * security.protocol}, SASL (PLAIN or SCRAM through {@code sasl.jaas.config}) and TLS from PEM files
 * ({@code ssl.truststore.type=PEM}, {@code ssl.keystore.type=PEM}). The secrets go into properties
 * of kafka-clients' PASSWORD type, which it never logs.
 */
public final class KafkaSecurity {
  private KafkaSecurity() {}

  /**
   * The {@code LEGATO_KAFKA_*} security settings, validated by the caller: {@code protocol} is one
   * of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL; the SASL fields are set for the SASL_ ones; a PEM
   * file is null when unset, else its path and the variable that named it (for errors).
   */
  public record Settings(
      String protocol,
      String saslMechanism,
      String saslUsername,
      String saslPassword,
      PemFile sslCaFile,
      PemFile sslCertFile,
      PemFile sslKeyFile) {}

  /** A PEM file's path, and the variable that named it. */
  public record PemFile(String path, String variable) {
    /** The file {@code path} names, or null when {@code path} is null (unset). */
    public static PemFile of(String path, String variable) {
      return path == null ? null : new PemFile(path, variable);
    }
  }

  /** Puts the security properties of {@code settings} into a kafka-clients configuration. */
  public static void apply(Settings settings, Map<String, Object> config) {
    String protocol = settings.protocol();
    config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
    if (protocol.startsWith("SASL_")) {
      config.put(SaslConfigs.SASL_MECHANISM, settings.saslMechanism());
      config.put(
          SaslConfigs.SASL_JAAS_CONFIG,
          jaasConfig(settings.saslMechanism(), settings.saslUsername(), settings.saslPassword()));
    }
    if (protocol.endsWith("SSL")) {
      if (settings.sslCaFile() != null) {
        config.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        config.put(
            SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, readable(settings.sslCaFile()).toString());
      }
      if (settings.sslCertFile() != null) {
        config.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        config.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, read(settings.sslCertFile()));
        config.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG, read(settings.sslKeyFile()));
      }
    }
  }

  /** The JAAS line for the mechanism; quotes and backslashes in the credentials are escaped. */
  static String jaasConfig(String mechanism, String username, String password) {
    String module =
        mechanism.startsWith("SCRAM-")
            ? "org.apache.kafka.common.security.scram.ScramLoginModule"
            : "org.apache.kafka.common.security.plain.PlainLoginModule";
    return module
        + " required username=\""
        + escape(username)
        + "\" password=\""
        + escape(password)
        + "\";";
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static Path readable(PemFile file) {
    Path path = Path.of(file.path());
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException(file.variable() + ": cannot read " + file.path());
    }
    return path;
  }

  private static String read(PemFile file) {
    try {
      return Files.readString(readable(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          file.variable() + ": cannot read " + file.path() + ": " + e, e);
    }
  }
}
