package dev.legato.worker.it;

import static dev.legato.worker.it.KafkaSupport.TIMEOUT;
import static dev.legato.worker.it.KafkaSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.ApplicationError;
import dev.legato.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker against real Kafka: results, failures, poison pills. */
class WorkerIT {
  private KafkaSupport kafka;

  @BeforeEach
  void connect() throws Exception {
    kafka = KafkaSupport.connect();
  }

  @AfterEach
  void close() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void handlerReturnIsACompletedResult() throws Exception {
    Worker worker = new Worker(kafka.settings().build());
    worker.register("step1", payload -> "Java processed: " + payload.asText());
    kafka.startInBackground(worker);

    Job job = kafka.job("step1", "\"Hello World\"");
    kafka.send(kafka.jobTopic("step1"), job);
    Result result = kafka.awaitResult(job.getJobId());

    assertEquals(ResultStatus.COMPLETED, result.getStatus());
    assertEquals("\"Java processed: Hello World\"", result.getOutput());
    assertNull(result.getFailure());
    assertEquals(job.getRunId(), result.getRunId());
    assertEquals(job.getStepId(), result.getStepId());
    assertEquals(job.getAttempt(), result.getAttempt());
    assertEquals("step1", result.getAction());
    assertEquals(job.getTraceparent(), result.getTraceparent());
    assertEquals(job.getCorrelationId(), result.getCorrelationId());
    assertEquals(kafka.prefix + "-worker", result.getWorkerId());
    assertEquals("java/0.2.0", result.getSdk());
    assertTrue(result.getFinishedAt() >= result.getStartedAt());
    await("offset committed", TIMEOUT, () -> committed("step1") == 1);
  }

  @Test
  void handlerErrorIsFailedNeverCompleted() throws Exception {
    Worker worker = new Worker(kafka.settings().build());
    worker.register(
        "charge",
        payload -> {
          throw new ApplicationError("boom", "ConformanceError", Map.of("payload", payload));
        });
    worker.register(
        "plain",
        payload -> {
          throw new RuntimeException("plain failure");
        });
    kafka.startInBackground(worker);

    Job charge = kafka.job("charge", "{\"amount\":5}");
    Job plain = kafka.job("plain", "1");
    kafka.send(kafka.jobTopic("charge"), charge);
    kafka.send(kafka.jobTopic("plain"), plain);

    Result failed = kafka.awaitResult(charge.getJobId());
    assertEquals(ResultStatus.FAILED, failed.getStatus());
    assertNull(failed.getOutput());
    assertEquals("ConformanceError", failed.getFailure().getType());
    assertEquals("boom", failed.getFailure().getMessage());
    assertFalse(failed.getFailure().getNonRetryable());
    assertEquals("{\"payload\":{\"amount\":5}}", failed.getFailure().getDetails());
    assertTrue(failed.getFailure().getStackTrace().contains("ApplicationError"));

    Result plainFailed = kafka.awaitResult(plain.getJobId());
    assertEquals(ResultStatus.FAILED, plainFailed.getStatus());
    assertEquals("RuntimeException", plainFailed.getFailure().getType());
    assertEquals("plain failure", plainFailed.getFailure().getMessage());
  }

  @Test
  void jobForAnActionWithoutHandlerIsUnknownAction() throws Exception {
    Worker worker = new Worker(kafka.settings().build());
    worker.register("step1", payload -> payload);
    kafka.startInBackground(worker);

    Job stray = kafka.job("not-here", "null");
    kafka.send(kafka.jobTopic("step1"), stray);
    Result result = kafka.awaitResult(stray.getJobId());

    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("UnknownAction", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
  }

  @Test
  void poisonPillGoesToTheDltAndTheNextJobStillRuns() throws Exception {
    Worker worker = new Worker(kafka.settings().build());
    worker.register("step1", payload -> "ok " + payload.asText());
    kafka.startInBackground(worker);

    byte[] garbage = "definitely not avro".getBytes(StandardCharsets.UTF_8);
    kafka.sendRaw(kafka.jobTopic("step1"), "poison-key", garbage);
    Job next = kafka.job("step1", "\"after\"");
    kafka.send(kafka.jobTopic("step1"), next);

    assertEquals("\"ok after\"", kafka.awaitResult(next.getJobId()).getOutput());
    ConsumerRecord<byte[], byte[]> dead =
        kafka.awaitRecords(kafka.dltTopic, 1, r -> true, TIMEOUT).get(0);
    assertEquals("poison-key", new String(dead.key(), StandardCharsets.UTF_8));
    assertEquals("definitely not avro", new String(dead.value(), StandardCharsets.UTF_8));
    Map<String, String> headers = new HashMap<>();
    for (Header header : dead.headers()) {
      headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
    }
    assertEquals("undecodable", headers.get("legato-dlt-reason"));
    assertEquals("DecodeError", headers.get("legato-error-type"));
    assertTrue(headers.get("legato-error-message").contains("C3 01"));
    assertEquals(kafka.jobTopic("step1"), headers.get("legato-source-topic"));
    assertEquals("0", headers.get("legato-source-partition"));
    assertEquals("0", headers.get("legato-source-offset"));
    assertEquals(kafka.prefix + "-worker", headers.get("legato-worker-id"));
    long failedAt = Long.parseLong(headers.get("legato-failed-at"));
    assertTrue(Math.abs(System.currentTimeMillis() - failedAt) < 120_000);
    await("both offsets committed", TIMEOUT, () -> committed("step1") == 2);
  }

  private long committed(String action) {
    try {
      return kafka.committedOffset(action);
    } catch (Exception e) {
      return -2;
    }
  }
}
