package dev.legato.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerSettingsTest {
  @Test
  void defaultsMatchTheProtocolTable() {
    WorkerSettings s = WorkerSettings.fromEnv(Map.of());
    assertEquals("localhost:9092", s.bootstrapServers());
    assertEquals("workflow-jobs", s.jobsTopic());
    assertEquals("workflow-results", s.resultsTopic());
    assertEquals("legato-workers", s.groupPrefix());
    assertEquals(6, s.jobPartitions());
    assertTrue(s.workerId().endsWith("-" + ProcessHandle.current().pid()), s.workerId());
    assertEquals(16, s.concurrency());
    assertEquals(Duration.ofMillis(30_000), s.shutdownTimeout());
    assertEquals("INFO", s.logLevel());
  }

  @Test
  void readsEveryVariable() {
    WorkerSettings s =
        WorkerSettings.fromEnv(
            Map.of(
                "LEGATO_KAFKA_BOOTSTRAP_SERVERS", "kafka:29092",
                "LEGATO_JOBS_TOPIC", "jobs",
                "LEGATO_RESULTS_TOPIC", "results",
                "LEGATO_GROUP_PREFIX", "workers",
                "LEGATO_JOB_PARTITIONS", "3",
                "LEGATO_WORKER_ID", "w-7",
                "LEGATO_WORKER_CONCURRENCY", "4",
                "LEGATO_SHUTDOWN_TIMEOUT_MS", "1500",
                "LEGATO_LOG_LEVEL", "debug"));
    assertEquals("kafka:29092", s.bootstrapServers());
    assertEquals("jobs", s.jobsTopic());
    assertEquals("results", s.resultsTopic());
    assertEquals("workers", s.groupPrefix());
    assertEquals(3, s.jobPartitions());
    assertEquals("w-7", s.workerId());
    assertEquals(4, s.concurrency());
    assertEquals(Duration.ofMillis(1500), s.shutdownTimeout());
    assertEquals("DEBUG", s.logLevel());
  }

  @Test
  void emptyVariablesTakeTheDefault() {
    WorkerSettings s = WorkerSettings.fromEnv(Map.of("LEGATO_JOBS_TOPIC", " "));
    assertEquals("workflow-jobs", s.jobsTopic());
  }

  @Test
  void badNumbersNameTheVariable() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerSettings.fromEnv(Map.of("LEGATO_WORKER_CONCURRENCY", "many")));
    assertTrue(e.getMessage().contains("LEGATO_WORKER_CONCURRENCY"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> WorkerSettings.fromEnv(Map.of("LEGATO_JOB_PARTITIONS", "0")));
  }

  @Test
  void toBuilderChangesOneField() {
    WorkerSettings s = WorkerSettings.fromEnv(Map.of("LEGATO_WORKER_ID", "w"));
    WorkerSettings t = s.toBuilder().concurrency(2).build();
    assertEquals(2, t.concurrency());
    assertEquals("w", t.workerId());
  }
}
