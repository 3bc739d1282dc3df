package dev.legato.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerSettingsTest {
  @Test
  void defaultsMatchTheProtocolTable() {
    WorkerSettings s = WorkerSettings.fromEnv(Map.of());
    assertEquals("localhost:9092", s.bootstrapServers());
    assertEquals("workflow-jobs", s.jobsTopic());
    assertEquals("workflow-results", s.resultsTopic());
    assertEquals("workflow-control", s.controlTopic());
    assertEquals("legato-workers", s.groupPrefix());
    assertEquals(6, s.jobPartitions());
    assertTrue(s.workerId().endsWith("-" + ProcessHandle.current().pid()), s.workerId());
    assertEquals(16, s.concurrency());
    assertEquals(Duration.ofMillis(30_000), s.shutdownTimeout());
    assertEquals("INFO", s.logLevel());
    assertEquals("PLAINTEXT", s.securityProtocol());
    assertNull(s.saslMechanism());
    assertNull(s.saslUsername());
    assertNull(s.saslPassword());
    assertNull(s.sslCaFile());
    assertNull(s.sslCertFile());
    assertNull(s.sslKeyFile());
    assertTrue(s.createTopics());
    assertEquals(1_000_000, s.maxPayloadBytes());
    assertEquals(Duration.ofMillis(300_000), s.maxPollInterval());
    assertEquals(Duration.ofMillis(10_000), s.sessionTimeout());
    assertEquals(Duration.ofMillis(30_000), s.stallTimeout());
    assertTrue(s.installSignalHandlers());
    assertNull(s.metricsPort());
    assertEquals("127.0.0.1", s.metricsHost());
    assertFalse(s.tracing());
  }

  @Test
  void metricsAndTracingSettings() {
    WorkerSettings s =
        WorkerSettings.fromEnv(
            Map.of(
                "LEGATO_METRICS_PORT", " 9464 ",
                "LEGATO_METRICS_HOST", "0.0.0.0",
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"));
    assertEquals(9464, s.metricsPort());
    assertEquals("0.0.0.0", s.metricsHost());
    assertTrue(s.tracing());
    assertEquals(s.toString(), s.toBuilder().build().toString());
    assertNull(WorkerSettings.fromEnv(Map.of("LEGATO_METRICS_PORT", " ")).metricsPort());
    assertFalse(
        WorkerSettings.fromEnv(Map.of("OTEL_TRACES_EXPORTER", "otlp", "OTEL_SDK_DISABLED", "true"))
            .tracing());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_METRICS_PORT", "65536")));
    assertTrue(e.getMessage().contains("LEGATO_METRICS_PORT"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> WorkerSettings.fromEnv(Map.of("LEGATO_METRICS_PORT", "0")));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_METRICS_PORT", "http")));
    assertTrue(e.getMessage().contains("LEGATO_METRICS_PORT"), e.getMessage());
  }

  @Test
  void readsEveryVariable() {
    Map<String, String> env = new HashMap<>();
    env.put("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "kafka:29092");
    env.put("LEGATO_JOBS_TOPIC", "jobs");
    env.put("LEGATO_RESULTS_TOPIC", "results");
    env.put("LEGATO_CONTROL_TOPIC", "control");
    env.put("LEGATO_GROUP_PREFIX", "workers");
    env.put("LEGATO_JOB_PARTITIONS", "3");
    env.put("LEGATO_WORKER_ID", "w-7");
    env.put("LEGATO_WORKER_CONCURRENCY", "4");
    env.put("LEGATO_SHUTDOWN_TIMEOUT_MS", "1500");
    env.put("LEGATO_LOG_LEVEL", "debug");
    env.put("LEGATO_KAFKA_SECURITY_PROTOCOL", "sasl_ssl");
    env.put("LEGATO_KAFKA_SASL_MECHANISM", "scram-sha-512");
    env.put("LEGATO_KAFKA_SASL_USERNAME", "legato");
    env.put("LEGATO_KAFKA_SASL_PASSWORD", "s3cret");
    env.put("LEGATO_KAFKA_SSL_CA_FILE", "/etc/ca.pem");
    env.put("LEGATO_KAFKA_SSL_CERT_FILE", "/etc/client.pem");
    env.put("LEGATO_KAFKA_SSL_KEY_FILE", "/etc/client.key");
    env.put("LEGATO_CREATE_TOPICS", "no");
    env.put("LEGATO_MAX_PAYLOAD_BYTES", "2048");
    env.put("LEGATO_MAX_POLL_INTERVAL_MS", "60000");
    env.put("LEGATO_SESSION_TIMEOUT_MS", "45000");
    env.put("LEGATO_STALL_TIMEOUT_MS", "0");
    WorkerSettings s = WorkerSettings.fromEnv(env);
    assertEquals("kafka:29092", s.bootstrapServers());
    assertEquals("jobs", s.jobsTopic());
    assertEquals("results", s.resultsTopic());
    assertEquals("control", s.controlTopic());
    assertEquals("workers", s.groupPrefix());
    assertEquals(3, s.jobPartitions());
    assertEquals("w-7", s.workerId());
    assertEquals(4, s.concurrency());
    assertEquals(Duration.ofMillis(1500), s.shutdownTimeout());
    assertEquals("DEBUG", s.logLevel());
    assertEquals("SASL_SSL", s.securityProtocol());
    assertEquals("SCRAM-SHA-512", s.saslMechanism());
    assertEquals("legato", s.saslUsername());
    assertEquals("s3cret", s.saslPassword());
    assertEquals("/etc/ca.pem", s.sslCaFile());
    assertEquals("/etc/client.pem", s.sslCertFile());
    assertEquals("/etc/client.key", s.sslKeyFile());
    assertFalse(s.createTopics());
    assertEquals(2048, s.maxPayloadBytes());
    assertEquals(Duration.ofMillis(60_000), s.maxPollInterval());
    assertEquals(Duration.ofMillis(45_000), s.sessionTimeout());
    assertEquals(Duration.ZERO, s.stallTimeout());
  }

  @Test
  void aNegativeStallTimeoutIsAnError() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_STALL_TIMEOUT_MS", "-1")));
    assertTrue(
        e.getMessage().contains("LEGATO_STALL_TIMEOUT_MS must be at least 0"), e.getMessage());
  }

  @Test
  void emptyVariablesTakeTheDefaultAndValuesAreTrimmed() {
    WorkerSettings s =
        WorkerSettings.fromEnv(
            Map.of(
                "LEGATO_JOBS_TOPIC", " ",
                "LEGATO_WORKER_CONCURRENCY", "",
                "LEGATO_RESULTS_TOPIC", "  res \t",
                "LEGATO_JOB_PARTITIONS", " 2 "));
    assertEquals("workflow-jobs", s.jobsTopic());
    assertEquals(16, s.concurrency());
    assertEquals("res", s.resultsTopic());
    assertEquals(2, s.jobPartitions());
  }

  @Test
  void badNumbersNameTheVariableAndTheValue() {
    for (String bad : new String[] {"many", "1.5", "1e3", "0x10", "1_000", "99999999999"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> WorkerSettings.fromEnv(Map.of("LEGATO_WORKER_CONCURRENCY", bad)));
      assertTrue(e.getMessage().contains("LEGATO_WORKER_CONCURRENCY"), e.getMessage());
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }

  @Test
  void zeroConcurrencyOrPartitionsIsAnErrorButZeroShutdownTimeoutIsAllowed() {
    for (String name : new String[] {"LEGATO_WORKER_CONCURRENCY", "LEGATO_JOB_PARTITIONS"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> WorkerSettings.fromEnv(Map.of(name, "0")));
      assertTrue(e.getMessage().contains(name + " must be at least 1"), e.getMessage());
    }
    assertEquals(
        Duration.ZERO,
        WorkerSettings.fromEnv(Map.of("LEGATO_SHUTDOWN_TIMEOUT_MS", "0")).shutdownTimeout());
    assertThrows(
        IllegalArgumentException.class,
        () -> WorkerSettings.fromEnv(Map.of("LEGATO_SHUTDOWN_TIMEOUT_MS", "-1")));
  }

  @Test
  void everyIntegerVariableIsAtMost2147483647AsInEverySdk() {
    for (String name :
        new String[] {
          "LEGATO_JOB_PARTITIONS",
          "LEGATO_WORKER_CONCURRENCY",
          "LEGATO_SHUTDOWN_TIMEOUT_MS",
          "LEGATO_MAX_PAYLOAD_BYTES",
          "LEGATO_MAX_POLL_INTERVAL_MS",
          "LEGATO_SESSION_TIMEOUT_MS",
          "LEGATO_STALL_TIMEOUT_MS"
        }) {
      WorkerSettings.fromEnv(Map.of(name, "2147483647"));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> WorkerSettings.fromEnv(Map.of(name, "2147483648")));
      assertEquals(name + " must be at most 2147483647, got 2147483648", e.getMessage());
    }
  }

  @Test
  void theMetricsPortNamesTheBoundItMisses() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_METRICS_PORT", "65536")));
    assertEquals("LEGATO_METRICS_PORT must be at most 65535, got 65536", e.getMessage());
  }

  @Test
  void logLevelsAreCaseInsensitiveAndWarningIsWarn() {
    assertEquals("WARN", WorkerSettings.fromEnv(Map.of("LEGATO_LOG_LEVEL", "warning")).logLevel());
    assertEquals("WARN", WorkerSettings.fromEnv(Map.of("LEGATO_LOG_LEVEL", "Warn")).logLevel());
    assertEquals("ERROR", WorkerSettings.fromEnv(Map.of("LEGATO_LOG_LEVEL", "error")).logLevel());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_LOG_LEVEL", "verbose")));
    assertTrue(e.getMessage().contains("LEGATO_LOG_LEVEL"), e.getMessage());
  }

  @Test
  void saslNeedsMechanismUsernameAndPassword() {
    Map<String, String> env = new HashMap<>();
    env.put("LEGATO_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT");
    env.put("LEGATO_KAFKA_SASL_MECHANISM", "PLAIN");
    env.put("LEGATO_KAFKA_SASL_USERNAME", "u");
    env.put("LEGATO_KAFKA_SASL_PASSWORD", "p");
    assertEquals("PLAIN", WorkerSettings.fromEnv(env).saslMechanism());
    for (String missing :
        new String[] {
          "LEGATO_KAFKA_SASL_MECHANISM", "LEGATO_KAFKA_SASL_USERNAME", "LEGATO_KAFKA_SASL_PASSWORD"
        }) {
      Map<String, String> without = new HashMap<>(env);
      without.remove(missing);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> WorkerSettings.fromEnv(without));
      assertTrue(e.getMessage().startsWith(missing), e.getMessage());
    }
  }

  @Test
  void unknownProtocolOrMechanismIsAnErrorNamingTheVariable() {
    IllegalArgumentException protocol =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_KAFKA_SECURITY_PROTOCOL", "TLS")));
    assertTrue(protocol.getMessage().contains("LEGATO_KAFKA_SECURITY_PROTOCOL"));
    IllegalArgumentException mechanism =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_KAFKA_SASL_MECHANISM", "GSSAPI")));
    assertTrue(mechanism.getMessage().contains("LEGATO_KAFKA_SASL_MECHANISM"));
  }

  @Test
  void clientCertificateNeedsItsKeyAndTheOtherWayRound() {
    IllegalArgumentException noKey =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_KAFKA_SSL_CERT_FILE", "/c.pem")));
    assertTrue(noKey.getMessage().startsWith("LEGATO_KAFKA_SSL_KEY_FILE"), noKey.getMessage());
    IllegalArgumentException noCert =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_KAFKA_SSL_KEY_FILE", "/k.pem")));
    assertTrue(noCert.getMessage().startsWith("LEGATO_KAFKA_SSL_CERT_FILE"), noCert.getMessage());
  }

  @Test
  void thePasswordNeverAppearsInToString() {
    WorkerSettings s =
        WorkerSettings.fromEnv(
            Map.of(
                "LEGATO_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "LEGATO_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256",
                "LEGATO_KAFKA_SASL_USERNAME", "legato",
                "LEGATO_KAFKA_SASL_PASSWORD", "hunter2-very-secret"));
    assertFalse(s.toString().contains("hunter2-very-secret"), s.toString());
    assertTrue(s.toString().contains("saslPassword=***"), s.toString());
    assertTrue(s.toString().contains("saslUsername=legato"), s.toString());
  }

  @Test
  void toBuilderChangesOneField() {
    WorkerSettings s = WorkerSettings.fromEnv(Map.of("LEGATO_WORKER_ID", "w"));
    WorkerSettings t = s.toBuilder().concurrency(2).installSignalHandlers(false).build();
    assertEquals(2, t.concurrency());
    assertEquals("w", t.workerId());
    assertFalse(t.installSignalHandlers());
  }
}
