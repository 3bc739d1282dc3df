package dev.legato.worker.internal.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.internal.execute.JobRunner;
import dev.legato.worker.internal.protocol.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Re-sending, fatal errors and the too-large fallback, against kafka-clients' MockProducer (the
 * producer's failures cannot be provoked one by one on a real broker; WorkerIT covers the real
 * path).
 */
class DeliveryTest {
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(false, new ByteArraySerializer(), new ByteArraySerializer());
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
  private final List<Throwable> fatal = new ArrayList<>();
  private final Delivery delivery = new Delivery(producer, scheduler, fatal::add);
  private final MessageCodec codec = new MessageCodec();
  private final Publisher publisher =
      new Publisher(
          delivery,
          codec,
          "results",
          "jobs.DLT",
          "w-1",
          Clock.systemUTC(),
          JobRunner::refusedAsTooLarge);

  @AfterEach
  void shutdown() {
    scheduler.shutdownNow();
  }

  @Test
  void backoffDoublesFrom100msUpTo5s() {
    long[] expected = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], Delivery.backoffMillis(i + 1));
    }
    assertEquals(5000, Delivery.backoffMillis(1000));
  }

  @Test
  void transientErrorsResendTheSameBytesUntilAcknowledged() throws Exception {
    AtomicInteger durable = new AtomicInteger();
    Result result = result("j-1");
    publisher.publishResult(result, durable::incrementAndGet);
    producer.errorNext(new TimeoutException("delivery timed out"));
    await("first re-send", () -> producer.history().size() == 2);
    producer.errorNext(new NotLeaderOrFollowerException("moved"));
    await("second re-send", () -> producer.history().size() == 3);
    assertTrue(producer.completeNext());
    await("durable", () -> durable.get() == 1);
    byte[] first = producer.history().get(0).value();
    for (var sent : producer.history()) {
      assertEquals(new String(first, StandardCharsets.ISO_8859_1), latin1(sent.value()));
    }
    assertTrue(fatal.isEmpty());
  }

  @Test
  void aFatalErrorIsReportedOnceAndNothingMoreIsSent() {
    AtomicInteger durable = new AtomicInteger();
    publisher.publishResult(result("j-1"), durable::incrementAndGet);
    publisher.publishResult(result("j-2"), durable::incrementAndGet);
    producer.errorNext(new TopicAuthorizationException("not allowed"));
    producer.errorNext(new SaslAuthenticationException("bad password"));
    assertEquals(1, fatal.size());
    assertTrue(fatal.get(0) instanceof TopicAuthorizationException);
    assertTrue(scheduler.getQueue().isEmpty(), "a fatal error is not retried");
    assertTrue(delivery.hasFailed());
    publisher.publishResult(result("j-3"), durable::incrementAndGet);
    assertEquals(2, producer.history().size(), "nothing sent after a fatal error");
    assertEquals(0, durable.get());
  }

  @Test
  void aResultRefusedAsTooLargeIsReplacedByAResultTooLargeFailure() throws Exception {
    AtomicInteger durable = new AtomicInteger();
    publisher.publishResult(result("j-1"), durable::incrementAndGet);
    producer.errorNext(new RecordTooLargeException("over message.max.bytes"));
    await("the replacement", () -> producer.history().size() == 2);
    assertTrue(producer.completeNext());
    await("durable", () -> durable.get() == 1);
    Result sent = codec.decodeResult(producer.history().get(1).value());
    assertEquals("j-1", sent.getJobId());
    assertEquals(ResultStatus.FAILED, sent.getStatus());
    assertEquals("ResultTooLarge", sent.getFailure().getType());
    assertTrue(sent.getFailure().getNonRetryable());
    assertTrue(fatal.isEmpty());
  }

  @Test
  void afterCloseNothingIsResent() {
    publisher.publishResult(result("j-1"), () -> fail("not durable"));
    delivery.close();
    producer.errorNext(new TimeoutException("timed out"));
    assertTrue(scheduler.getQueue().isEmpty());
    assertTrue(fatal.isEmpty());
  }

  @Test
  void theDeadLetterErrorHeaderIsCappedAt1024Characters() {
    ConsumerRecord<byte[], byte[]> poison =
        new ConsumerRecord<>("jobs.step1", 0, 7, "k".getBytes(), "bad".getBytes());
    publisher.publishDeadLetter(poison, "e".repeat(5000), () -> {});
    var header = producer.history().get(0).headers().lastHeader("legato-error-message");
    String message = new String(header.value(), StandardCharsets.UTF_8);
    assertEquals(1024, message.length());
    assertTrue(message.endsWith("...[truncated]"));
    assertFalse(message.contains("eeee...[truncated]eeee"));
  }

  private static String latin1(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  private static Result result(String jobId) {
    return Result.newBuilder()
        .setJobId(jobId)
        .setRunId("r-" + jobId)
        .setStepId("s")
        .setAttempt(1)
        .setAction("step1")
        .setStatus(ResultStatus.COMPLETED)
        .setOutput("\"done\"")
        .setFailure(null)
        .setWorkerId("w-1")
        .setSdk("java/0.1.0")
        .setTraceparent(null)
        .setCorrelationId(null)
        .setStartedAt(1L)
        .setFinishedAt(2L)
        .build();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      Thread.onSpinWait();
    }
  }
}
