package dev.legato.worker.internal.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.worker.TestBridge;
import dev.legato.worker.WorkerSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSecurityTest {
  @TempDir Path dir;

  private static Map<String, Object> configOf(WorkerSettings settings) {
    Map<String, Object> config = new HashMap<>();
    KafkaSecurity.apply(TestBridge.kafkaSecurity(settings), config);
    return config;
  }

  @Test
  void plaintextByDefault() {
    Map<String, Object> config = configOf(WorkerSettings.builder().build());
    assertEquals(Map.of("security.protocol", "PLAINTEXT"), config);
  }

  @Test
  void saslSslWithScramAndAPemCa() throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    WorkerSettings settings =
        WorkerSettings.builder()
            .securityProtocol("SASL_SSL")
            .saslMechanism("SCRAM-SHA-512")
            .saslUsername("legato")
            .saslPassword("pa\"ss\\word")
            .sslCaFile(ca.toString())
            .build();
    Map<String, Object> config = configOf(settings);
    assertEquals("SASL_SSL", config.get("security.protocol"));
    assertEquals("SCRAM-SHA-512", config.get("sasl.mechanism"));
    assertEquals(
        "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"legato\" password=\"pa\\\"ss\\\\word\";",
        config.get("sasl.jaas.config"));
    assertEquals("PEM", config.get("ssl.truststore.type"));
    assertEquals(ca.toString(), config.get("ssl.truststore.location"));
    assertFalse(config.containsKey("ssl.keystore.type"));
  }

  @Test
  void plainMechanismUsesThePlainLoginModule() {
    String jaas = KafkaSecurity.jaasConfig("PLAIN", "u", "p");
    assertTrue(jaas.startsWith("org.apache.kafka.common.security.plain.PlainLoginModule required"));
  }

  @Test
  void mutualTlsPassesThePemCertificateAndKey() throws Exception {
    Path cert = Files.writeString(dir.resolve("client.pem"), "CERT");
    Path key = Files.writeString(dir.resolve("client.key"), "KEY");
    WorkerSettings settings =
        WorkerSettings.builder()
            .securityProtocol("SSL")
            .sslCertFile(cert.toString())
            .sslKeyFile(key.toString())
            .build();
    Map<String, Object> config = configOf(settings);
    assertEquals("SSL", config.get("security.protocol"));
    assertEquals("PEM", config.get("ssl.keystore.type"));
    assertEquals("CERT", config.get("ssl.keystore.certificate.chain"));
    assertEquals("KEY", config.get("ssl.keystore.key"));
    assertFalse(config.containsKey("sasl.jaas.config"));
  }

  @Test
  void anUnreadableFileNamesItsVariable() {
    WorkerSettings settings =
        WorkerSettings.builder()
            .securityProtocol("SSL")
            .sslCaFile(dir.resolve("missing.pem").toString())
            .build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> configOf(settings));
    assertTrue(e.getMessage().startsWith("LEGATO_KAFKA_SSL_CA_FILE"), e.getMessage());
  }

  @Test
  void producerErrorsAreClassified() {
    assertTrue(
        ProducerErrors.isFatal(
            new org.apache.kafka.common.KafkaException(
                "wrapped", new org.apache.kafka.common.errors.ProducerFencedException("x"))));
    assertTrue(
        ProducerErrors.isFatal(
            new org.apache.kafka.common.errors.ClusterAuthorizationException("x")));
    assertFalse(
        ProducerErrors.isFatal(new org.apache.kafka.common.errors.TimeoutException("timed out")));
    assertFalse(
        ProducerErrors.isFatal(
            new org.apache.kafka.common.errors.NetworkException("connection reset")));
    assertTrue(
        ProducerErrors.isTooLarge(
            new org.apache.kafka.common.errors.RecordTooLargeException("too big")));
  }
}
