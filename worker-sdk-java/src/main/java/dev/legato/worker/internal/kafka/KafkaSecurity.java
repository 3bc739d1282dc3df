package dev.legato.worker.internal.kafka;

import dev.legato.worker.WorkerSettings;
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

  /** Puts the security properties of {@code settings} into a kafka-clients configuration. */
  public static void apply(WorkerSettings settings, Map<String, Object> config) {
    String protocol = settings.securityProtocol();
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
            SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG,
            readable(settings.sslCaFile(), WorkerSettings.SSL_CA_FILE).toString());
      }
      if (settings.sslCertFile() != null) {
        config.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        config.put(
            SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG,
            read(settings.sslCertFile(), WorkerSettings.SSL_CERT_FILE));
        config.put(
            SslConfigs.SSL_KEYSTORE_KEY_CONFIG,
            read(settings.sslKeyFile(), WorkerSettings.SSL_KEY_FILE));
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

  private static Path readable(String file, String variable) {
    Path path = Path.of(file);
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException(variable + ": cannot read " + file);
    }
    return path;
  }

  private static String read(String file, String variable) {
    try {
      return Files.readString(readable(file, variable), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(variable + ": cannot read " + file + ": " + e, e);
    }
  }
}
