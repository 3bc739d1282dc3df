package dev.legato.worker.it;

import static dev.legato.worker.it.KafkaSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Job;
import dev.legato.worker.Worker;
import dev.legato.worker.WorkerFatalException;
import dev.legato.worker.internal.kafka.TopicAdmin;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Embedding (startAsync, stop, no signal handlers), topic creation and fatal producer errors. */
class EmbeddingIT {
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
  void startAsyncReturnsAtOnceAndItsFutureCompletesOnStop() throws Exception {
    Worker worker = new Worker(kafka.settings().installSignalHandlers(false).build());
    worker.register("step1", payload -> "async " + payload.asText());
    CompletableFuture<Void> running = worker.startAsync();
    assertFalse(running.isDone());
    Job job = kafka.job("step1", "\"hi\"");
    kafka.send(kafka.jobTopic("step1"), job);
    assertEquals("\"async hi\"", kafka.awaitResult(job.getJobId()).getOutput());
    worker.stop();
    running.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS); // completes normally
    assertTrue(running.isDone() && !running.isCompletedExceptionally());
    assertThrows(IllegalStateException.class, worker::startAsync);
  }

  @Test
  void topicsAreListedFirstAndOnlyTheMissingOnesCreated() throws Exception {
    try (Admin admin = Admin.create(KafkaSupport.clientConfig(kafka.bootstrap, Map.of()))) {
      String missing = kafka.prefix + ".missing";
      List<String> created =
          TopicAdmin.ensureTopics(
              admin, List.of(kafka.resultsTopic, missing), 2, Duration.ofSeconds(30));
      assertEquals(List.of(missing), created);
      assertEquals(
          2,
          admin
              .describeTopics(List.of(missing))
              .allTopicNames()
              .get(30, TimeUnit.SECONDS)
              .get(missing)
              .partitions()
              .size());
      assertEquals(
          List.of(),
          TopicAdmin.ensureTopics(
              admin, List.of(kafka.resultsTopic, missing), 2, Duration.ofSeconds(30)));
    }
  }

  @Test
  void withCreateTopicsOffNothingIsCreated() throws Exception {
    kafka.createTopics(List.of(kafka.jobTopic("present")), 1);
    Worker worker = new Worker(kafka.settings().createTopics(false).build());
    worker.register("present", payload -> "here");
    worker.register("absent", payload -> "never");
    kafka.startInBackground(worker);
    Job job = kafka.job("present", "{}");
    kafka.send(kafka.jobTopic("present"), job);
    assertEquals("\"here\"", kafka.awaitResult(job.getJobId()).getOutput());
    try (Admin admin = Admin.create(KafkaSupport.clientConfig(kafka.bootstrap, Map.of()))) {
      Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      assertFalse(
          topics.contains(kafka.jobTopic("absent")), "created with LEGATO_CREATE_TOPICS=false");
    }
  }

  @Test
  void aFatalProducerErrorStopsTheWorkerWithWorkerFatalException() throws Exception {
    kafka.createTopics(List.of(kafka.jobTopic("step1")), 1);
    Worker worker =
        new Worker(
            kafka
                .settings()
                .createTopics(false)
                .resultsTopic(kafka.prefix + ".not a valid topic!")
                .shutdownTimeout(Duration.ofSeconds(60))
                .installSignalHandlers(false)
                .build());
    worker.register("step1", payload -> "unsendable");
    CompletableFuture<Void> running = worker.startAsync();
    kafka.send(kafka.jobTopic("step1"), kafka.job("step1", "{}"));
    long started = System.nanoTime();
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> running.get(60, TimeUnit.SECONDS));
    assertInstanceOf(WorkerFatalException.class, e.getCause());
    assertTrue(
        System.nanoTime() - started < Duration.ofSeconds(45).toNanos(),
        "a fatal error does not wait for the drain");
    assertEquals(-1, kafka.committedOffset("step1"), "an unanswered job is not committed");
  }
}
