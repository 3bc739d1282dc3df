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
import dev.legato.worker.Worker;
import dev.legato.worker.internal.execute.JobRunner;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * At-least-once around slow jobs and shutdown: offsets in order, drain, and a shutdown that never
 * costs an attempt (WorkerShutdown results, committed).
 */
class ShutdownIT {
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
  void stopWaitsForTheJobInFlightThenCommitsIt() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Worker worker = new Worker(kafka.settings().build());
    worker.register(
        "slow",
        payload -> {
          started.countDown();
          release.await(); // finishes only once stop() is under way
          return "done";
        });
    Thread running = kafka.startInBackground(worker);
    Job job = kafka.job("slow", "{}");
    kafka.send(kafka.jobTopic("slow"), job);
    assertTrue(started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the handler started");

    Thread stopping = new Thread(worker::stop, "stopper");
    stopping.start();
    await(
        "stop() to block on the in-flight job",
        TIMEOUT,
        () -> stopping.getState() != Thread.State.RUNNABLE);
    assertTrue(stopping.isAlive(), "stop() returned while a job was in flight");
    release.countDown();

    stopping.join(TIMEOUT.toMillis());
    running.join(TIMEOUT.toMillis());
    assertTrue(!stopping.isAlive() && !running.isAlive(), "worker stopped");
    Result result = kafka.awaitResult(job.getJobId());
    assertEquals(ResultStatus.COMPLETED, result.getStatus());
    assertEquals(1, kafka.committedOffset("slow"));
  }

  @Test
  void offsetsNeverPassAJobInFlight() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Worker worker = new Worker(kafka.settings().concurrency(4).build());
    worker.register(
        "mixed",
        payload -> {
          if (payload.asText().equals("slow")) {
            release.await();
          }
          return payload;
        });
    kafka.startInBackground(worker);
    Job slow = kafka.job("mixed", "\"slow\"");
    Job fast1 = kafka.job("mixed", "\"fast\"");
    Job fast2 = kafka.job("mixed", "\"fast\"");
    for (Job job : List.of(slow, fast1, fast2)) {
      kafka.send(kafka.jobTopic("mixed"), job);
    }
    kafka.awaitResults(List.of(fast1.getJobId(), fast2.getJobId()), TIMEOUT);
    // The later jobs are durable but the first is in flight: nothing may be committed past it.
    // Wait past a few commit intervals to see that nothing is.
    long until = System.currentTimeMillis() + 1_000;
    await(
        "a few commit intervals", Duration.ofSeconds(5), () -> System.currentTimeMillis() > until);
    assertTrue(kafka.committedOffset("mixed") <= 0, "committed past a job in flight");

    release.countDown();
    kafka.awaitResult(slow.getJobId());
    await("all three committed", TIMEOUT, () -> committedQuietly("mixed") == 3);
  }

  @Test
  void aHandlerFailingOnItsShutdownCancellationIsAnsweredWorkerShutdownAndCommitted()
      throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    Worker worker = new Worker(kafka.settings().shutdownTimeout(Duration.ofMillis(500)).build());
    worker.register(
        "long",
        payload -> {
          started.countDown();
          Thread.sleep(60_000); // interrupted by the WorkerShutdown cancellation
          return "never";
        });
    Thread running = kafka.startInBackground(worker);
    Job job = kafka.job("long", "{}");
    kafka.send(kafka.jobTopic("long"), job);
    assertTrue(started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    worker.stop();
    running.join(TIMEOUT.toMillis());
    Result result = kafka.awaitResult(job.getJobId());
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("WorkerShutdown", result.getFailure().getType());
    assertFalse(result.getFailure().getNonRetryable());
    assertTrue(
        result.getFailure().getMessage().startsWith(JobRunner.WORKER_SHUTDOWN_MESSAGE + ": "),
        result.toString());
    assertNull(result.getFailure().getStackTrace());
    assertEquals(1, kafka.committedOffset("long"), "the answered job was not committed");
  }

  @Test
  void aJobStillRunningAfterItsGraceIsReleasedWithAWorkerShutdownResultAndCommitted()
      throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean release = new AtomicBoolean();
    Worker first = new Worker(kafka.settings().shutdownTimeout(Duration.ofMillis(500)).build());
    first.register(
        "stuck",
        payload -> {
          started.countDown();
          while (!release.get()) { // ignores its cancellation (and every interrupt)
            try {
              Thread.sleep(20);
            } catch (InterruptedException ignored) {
              // keep going
            }
          }
          return "never";
        });
    Thread running = kafka.startInBackground(first);
    Job job = kafka.job("stuck", "{}");
    kafka.send(kafka.jobTopic("stuck"), job);
    assertTrue(started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    first.stop(); // returns although the handler still runs: the SDK never kills a thread
    running.join(TIMEOUT.toMillis());
    assertFalse(running.isAlive(), "the worker stopped");
    Result result = kafka.awaitResult(job.getJobId());
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("WorkerShutdown", result.getFailure().getType());
    assertEquals(JobRunner.WORKER_SHUTDOWN_MESSAGE, result.getFailure().getMessage());
    assertFalse(result.getFailure().getNonRetryable());
    assertEquals(1, kafka.committedOffset("stuck"), "the released job was not committed");

    release.set(true); // it ends now, after the worker stopped: its outcome is dropped
    Worker second = new Worker(kafka.settings().workerId(kafka.prefix + "-second").build());
    second.register("stuck", payload -> "second try");
    kafka.startInBackground(second);
    Job next = kafka.job("stuck", "{}");
    kafka.send(kafka.jobTopic("stuck"), next);
    kafka.awaitResult(next.getJobId());
    List<Result> results = kafka.resultsSoFar();
    assertEquals(
        1,
        results.stream().filter(r -> r.getJobId().equals(job.getJobId())).count(),
        "one result for the released job, and it was not redelivered: " + results);
  }

  private long committedQuietly(String action) {
    try {
      return kafka.committedOffset(action);
    } catch (Exception e) {
      return -2;
    }
  }
}
