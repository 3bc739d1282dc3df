package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.Result;
import dev.legato.worker.JobContext;
import dev.legato.worker.TestBridge;
import dev.legato.worker.internal.consume.PartitionOffsets;
import dev.legato.worker.internal.kafka.Delivery;
import dev.legato.worker.internal.kafka.Publisher;
import dev.legato.worker.internal.protocol.DecodeException;
import dev.legato.worker.internal.protocol.MessageCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A job delivered twice runs once (docs/protocol.md, v2 item 17): a copy of a job that runs here or
 * ended here within the hour is not started and sends nothing, not even {@code SKIPPED}; its offset
 * is done at once, while the first copy's offset still holds the partition; it is counted in the
 * skip summary. Another jobId of the same run, step and attempt is no copy.
 */
class DuplicateDeliveryTest {
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, new ByteArraySerializer(), new ByteArraySerializer());
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final MessageCodec codec = new MessageCodec();
  private final ManualClock clock = new ManualClock(946_684_800_000L); // 2000-01-01, not "now"
  private final RunningAttempts running = new RunningAttempts();
  private final Withdrawals withdrawals = new Withdrawals(running);
  private final SkipLog skipLog = new SkipLog();
  private final Semaphore permits = new Semaphore(2);
  private final PartitionOffsets offsets = new PartitionOffsets();
  private final List<Long> done = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final JobDispatcher dispatcher = dispatcher();

  @AfterEach
  void stop() {
    release.countDown();
    pool.shutdownNow();
    scheduler.shutdownNow();
  }

  /** Counts its calls per jobId; a job with payload {"block": true} runs until {@link #release}. */
  private JobDispatcher dispatcher() {
    Publisher publisher =
        new Publisher(
            new Delivery(producer, scheduler, e -> {}),
            codec,
            "results",
            "jobs.DLT",
            "w-1",
            clock,
            JobRunner::refusedAsTooLarge);
    return new JobDispatcher(
        TestBridge.steps(
            Map.of(
                "work",
                payload -> {
                  calls
                      .computeIfAbsent(JobContext.current().jobId(), id -> new AtomicInteger())
                      .incrementAndGet();
                  if (payload.path("block").asBoolean()) {
                    release.await();
                  }
                  return "ran";
                })),
        codec,
        new JobRunner("w-1", "java/test", clock, clock::monotonicMillis, 1_000_000),
        publisher,
        pool,
        permits,
        new JobDispatcher.Attempts(
            running,
            withdrawals,
            new RecentJobs(),
            skipLog,
            Runnable::run,
            clock,
            clock::monotonicMillis),
        JobDispatcher.Observers.NONE);
  }

  private static Job.Builder job(String jobId) {
    return Job.newBuilder()
        .setJobId(jobId)
        .setRunId("r-1")
        .setStepId("s-1")
        .setAttempt(2)
        .setAction("work")
        .setPayload("{}")
        .setWorkflowId("wf")
        .setWorkflowVersion(1)
        .setQueue("jobs.work")
        .setCreatedAt(1L);
  }

  private void dispatch(Job job, long offset) {
    ConsumerRecord<byte[], byte[]> record =
        new ConsumerRecord<>("jobs.work", 0, offset, null, codec.encodeJob(job));
    boolean dispatched =
        dispatcher.tryDispatch(
            record,
            () -> {
              offsets.track(offset);
              return () -> {
                done.add(offset);
                offsets.complete(offset);
              };
            });
    assertTrue(dispatched, "a free slot");
  }

  /** What was sent for {@code jobId}, in order: progress kinds and "RESULT". */
  private List<String> kinds(String jobId) {
    List<String> kinds = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> record : producer.history()) {
      Object decoded;
      try {
        decoded = codec.decodeResultsRecord(record.value());
      } catch (DecodeException e) {
        throw new AssertionError(e);
      }
      if (decoded instanceof Result r && r.getJobId().equals(jobId)) {
        kinds.add("RESULT");
      } else if (decoded instanceof Progress p && p.getJobId().equals(jobId)) {
        kinds.add(p.getKind().toString());
      }
    }
    return kinds;
  }

  private int calls(String jobId) {
    AtomicInteger count = calls.get(jobId);
    return count == null ? 0 : count.get();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Dispatches the job and waits until its handler has ended and its result is sent. */
  private void runToTheEnd(Job job, long offset) throws InterruptedException {
    dispatch(job, offset);
    await(job.getJobId() + " ended", () -> running.isEmpty() && permits.availablePermits() == 2);
    await(job.getJobId() + "'s result", () -> kinds(job.getJobId()).contains("RESULT"));
  }

  @Test
  void aCopyOfARunningJobIsNotStartedAndItsOffsetIsDoneAtOnce() throws Exception {
    dispatch(job("j-1").setPayload("{\"block\":true}").build(), 0);
    await("j-1 started", () -> calls("j-1") == 1);

    dispatch(job("j-1").setPayload("{\"block\":true}").build(), 1);
    assertEquals(List.of(1L), done, "the copy's offset is done at once");
    assertEquals(1, permits.availablePermits(), "the copy took no handler slot");
    assertEquals(OptionalLong.empty(), offsets.storedPosition(), "the first copy holds the commit");
    // A copy past its deadline is no stale attempt either: no SKIPPED.
    dispatch(job("j-1").setDeadlineAt(clock.millis()).build(), 2);
    assertEquals(List.of(1L, 2L), done);
    assertEquals(List.of(), kinds("j-1"), "nothing sent for the copies");
    assertEquals(1, calls("j-1"));

    release.countDown();
    await("j-1 ended", running::isEmpty);
    await("j-1's result", () -> offsets.storedPosition().orElse(-1) == 3);
    assertEquals(List.of("RESULT"), kinds("j-1"), "one result, the first copy's");
    assertEquals(1, calls("j-1"));
    assertEquals(
        "skipped 1 stale attempts (deadline passed: 0, withdrawn: 0, duplicate: 1)",
        skipLog.summarize(clock.monotonicMillis() + SkipLog.SUMMARY_EVERY_MS),
        "the first copy not started was summarised at once, the second is counted");
  }

  @Test
  void aCopyOfAnEndedJobIsNotStarted() throws Exception {
    runToTheEnd(job("j-1").build(), 0);
    dispatch(job("j-1").build(), 1);
    assertEquals(List.of(0L, 1L), done);
    assertEquals(OptionalLong.of(2), offsets.storedPosition());
    assertEquals(1, calls("j-1"));
    assertEquals(List.of("RESULT"), kinds("j-1"));
  }

  @Test
  void aCopyOfASkippedJobIsNotStartedNorSkippedAgain() {
    dispatch(job("j-late").setDeadlineAt(clock.millis()).build(), 0);
    assertEquals(List.of("SKIPPED"), kinds("j-late"));
    dispatch(job("j-late").build(), 1); // no deadline now: it would run if it were not a copy
    assertEquals(List.of("SKIPPED"), kinds("j-late"), "nothing more");
    assertEquals(0, calls("j-late"));
    assertEquals(List.of(0L, 1L), done, "the SKIPPED acknowledged, then the copy at once");
    assertEquals(OptionalLong.of(2), offsets.storedPosition());
  }

  @Test
  void anotherJobIdOfTheSameRunStepAndAttemptIsStarted() throws Exception {
    dispatch(job("j-1").setPayload("{\"block\":true}").build(), 0);
    await("j-1 started", () -> calls("j-1") == 1);
    dispatch(job("j-2").build(), 1); // the same runId, stepId and attempt, while j-1 runs
    await("j-2 ran", () -> kinds("j-2").contains("RESULT"));
    assertEquals(1, calls("j-2"));
    release.countDown();
    await("j-1 ended", running::isEmpty);
    runToTheEnd(job("j-3").build(), 2); // and after j-1 ended
    assertEquals(1, calls("j-3"));
    assertEquals(List.of("RESULT"), kinds("j-3"));
  }

  @Test
  void anEndedJobIdIsForgottenAfterAnHour() throws Exception {
    runToTheEnd(job("j-1").build(), 0);
    clock.advance(RecentJobs.KEEP_MS - 1);
    dispatch(job("j-1").build(), 1);
    assertEquals(1, calls("j-1"), "remembered for the hour");
    clock.advance(1);
    runToTheEnd(job("j-1").build(), 2);
    assertEquals(2, calls("j-1"), "forgotten after it: a copy delivered then runs");
    assertEquals(List.of("RESULT", "RESULT"), kinds("j-1"));
  }
}
