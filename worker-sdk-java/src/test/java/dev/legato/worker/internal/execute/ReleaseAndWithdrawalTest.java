package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Failure;
import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.ProgressKind;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.Handler;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A withdrawn attempt whose handler keeps running (no more progress, its offset done at once, its
 * result still sent), the shutdown release ({@code WorkerShutdown}, never costing an attempt), the
 * register-then-check order of the dispatcher, the injected wall clock and the monotonic one.
 */
class ReleaseAndWithdrawalTest {
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, new ByteArraySerializer(), new ByteArraySerializer());
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final MessageCodec codec = new MessageCodec();
  private final ManualClock clock = new ManualClock(946_684_800_000L); // 2000-01-01, not "now"
  private final RunningAttempts running = new RunningAttempts();
  private final Withdrawals withdrawals = new Withdrawals(running);
  private final PartitionOffsets offsets = new PartitionOffsets();

  @AfterEach
  void stop() {
    pool.shutdownNow();
    scheduler.shutdownNow();
  }

  private JobDispatcher dispatcher(Map<String, Handler> handlers) {
    return dispatcher(handlers, clock);
  }

  private JobDispatcher dispatcher(Map<String, Handler> handlers, java.time.Clock wall) {
    Publisher publisher =
        new Publisher(
            new Delivery(producer, scheduler, e -> {}),
            codec,
            "results",
            "jobs.DLT",
            "w-1",
            wall,
            JobRunner::refusedAsTooLarge);
    return new JobDispatcher(
        TestBridge.steps(handlers),
        codec,
        new JobRunner("w-1", "java/test", wall, clock::monotonicMillis, 1_000_000),
        publisher,
        pool,
        new Semaphore(4),
        new JobDispatcher.Attempts(
            running,
            withdrawals,
            new RecentJobs(),
            new SkipLog(),
            Runnable::run,
            wall,
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

  private boolean dispatch(JobDispatcher dispatcher, Job job, long offset) {
    ConsumerRecord<byte[], byte[]> record =
        new ConsumerRecord<>("jobs.work", 0, offset, null, codec.encodeJob(job));
    return dispatcher.tryDispatch(
        record,
        () -> {
          offsets.track(offset);
          return new Completion() {
            @Override
            public void durable() {
              offsets.complete(offset);
            }
          };
        });
  }

  /** What was sent for {@code jobId}, in order: progress kinds and "RESULT". */
  private List<Object> sent(String jobId) {
    List<Object> records = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> record : producer.history()) {
      Object decoded;
      try {
        decoded = codec.decodeResultsRecord(record.value());
      } catch (DecodeException e) {
        throw new AssertionError(e);
      }
      if (decoded instanceof Result r && r.getJobId().equals(jobId)) {
        records.add(r);
      } else if (decoded instanceof Progress p && p.getJobId().equals(jobId)) {
        records.add(p);
      }
    }
    return records;
  }

  private List<String> kinds(String jobId) {
    return sent(jobId).stream()
        .map(r -> r instanceof Progress p ? p.getKind().toString() : "RESULT")
        .toList();
  }

  private Result result(String jobId) {
    List<Result> results =
        sent(jobId).stream().filter(Result.class::isInstance).map(Result.class::cast).toList();
    assertEquals(1, results.size(), "results of " + jobId);
    return results.get(0);
  }

  private static void await(String what, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  /** A handler that heartbeats {"i": i} each round until released; ignores its cancellation. */
  private static final class Stubborn implements Handler {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger round = new AtomicInteger();
    final CountDownLatch beat = new CountDownLatch(1);
    final AtomicBoolean done = new AtomicBoolean();
    volatile String seenReason;

    @Override
    public Object handle(com.fasterxml.jackson.databind.JsonNode payload) {
      JobContext ctx = JobContext.current();
      started.countDown();
      while (true) {
        try {
          if (release.await(1, TimeUnit.MILLISECONDS)) {
            break;
          }
        } catch (InterruptedException ignored) {
          // does not wake on its cancellation
        }
        int i = round.incrementAndGet();
        ctx.heartbeat(Map.of("i", i));
      }
      seenReason = ctx.cancelReason();
      done.set(true);
      return Map.of("ignored", true);
    }
  }

  @Test
  void aWithdrawnAttemptSendsNoProgressButItsResultAndLetsTheOffsetPass() throws Exception {
    Stubborn stubborn = new Stubborn();
    JobDispatcher dispatcher = dispatcher(Map.of("work", payload -> handle(stubborn, payload)));
    assertTrue(dispatch(dispatcher, job("j-1").build(), 0));
    assertTrue(stubborn.started.await(10, TimeUnit.SECONDS));
    await("a few heartbeats", () -> stubborn.round.get() > 3);
    // The first heartbeat went out as STARTED; the latest is pending (coalesced for 10 s).
    assertEquals(List.of("STARTED"), kinds("j-1"));
    assertEquals(OptionalLong.empty(), offsets.storedPosition(), "the job runs: not done");

    // The Cancel drops the pending heartbeat and counts the job as done for its offset.
    withdrawals.withdraw("j-1", "RunCancelled", clock.millis(), clock.millis());
    int after = stubborn.round.get();
    await("more heartbeats after the Cancel", () -> stubborn.round.get() > after + 3);
    clock.advance(60_000);
    running.tick(clock.monotonicMillis()); // the pacing interval has passed: still nothing
    assertEquals(List.of("STARTED"), kinds("j-1"), "no progress after the Cancel");
    assertEquals(OptionalLong.of(1), offsets.storedPosition(), "done at the Cancel");
    assertTrue(dispatcher.idle(), "a withdrawn attempt does not hold the shutdown");

    // A later job of the partition completes: the committed position passes the running one.
    assertTrue(dispatch(dispatcher, job("j-2").setAction("work").build(), 1));
    await("j-2 answered", () -> offsets.storedPosition().orElse(-1) == 2);
    assertFalse(stubborn.done.get(), "the withdrawn handler still runs");

    stubborn.release.countDown();
    await(
        "j-1 answered", () -> !running.snapshot().stream().anyMatch(a -> a.jobId().equals("j-1")));
    assertEquals(List.of("STARTED", "RESULT"), kinds("j-1"));
    assertEquals(ResultStatus.COMPLETED, result("j-1").getStatus(), "its result is still sent");
    assertEquals("RunCancelled", stubborn.seenReason);
    assertEquals(OptionalLong.of(2), offsets.storedPosition());
  }

  private static Object handle(Stubborn stubborn, com.fasterxml.jackson.databind.JsonNode payload)
      throws Exception {
    if (JobContext.current().jobId().equals("j-1")) {
      return stubborn.handle(payload);
    }
    return Map.of("echo", true);
  }

  @Test
  void withoutAHeartbeatTimeoutAWithdrawnAttemptsOffsetIsDoneAtOnceAndItNeverReportsStarted()
      throws Exception {
    List<Progress> progress = new ArrayList<>();
    AtomicInteger durable = new AtomicInteger();
    JobRunner runner = new JobRunner("w-1", "java/test", clock, clock::monotonicMillis, 1000);
    Attempt attempt =
        runner.attempt(
            job("j-1").build(),
            (p, onAck) -> progress.add(p),
            Runnable::run,
            Completion.once(durable::incrementAndGet));
    attempt.begin(clock.millis());
    attempt.heartbeat(null); // the first heartbeat: STARTED at once
    assertEquals(1, progress.size());
    attempt.heartbeat(Map.of("i", 2)); // pending: coalesced for 10 s
    attempt.withdraw("Superseded");
    assertEquals(1, durable.get(), "the offset is done at the Cancel");
    assertTrue(attempt.isCancelled());
    assertTrue(Thread.interrupted(), "the handler's thread was signalled");
    attempt.heartbeat(Map.of("i", 3));
    assertThrows(
        HeartbeatDetails.InvalidException.class,
        () -> attempt.heartbeat(Double.NaN),
        "still checked");
    clock.advance(60_000);
    attempt.tick(clock.monotonicMillis());
    attempt.end(true); // a failure would send pending details: not after a Cancel
    assertEquals(1, progress.size(), "nothing after the Cancel, the pending heartbeat dropped");
    attempt.withdraw("RunCancelled");
    assertEquals(1, durable.get());
  }

  @Test
  void aHandlerFailingOnItsShutdownCancellationIsAnsweredWorkerShutdownAfterItsDetails()
      throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    JobDispatcher dispatcher =
        dispatcher(
            Map.of(
                "work",
                payload -> {
                  JobContext ctx = JobContext.current();
                  ctx.heartbeat(Map.of("i", 1));
                  ctx.heartbeat(Map.of("i", 2)); // pending when the handler fails
                  started.countDown();
                  Thread.sleep(60_000);
                  return "never";
                }));
    assertTrue(dispatch(dispatcher, job("j-1").setHeartbeatTimeoutMs(30_000L).build(), 0));
    assertTrue(started.await(10, TimeUnit.SECONDS));
    running.cancelAll(Attempt.WORKER_SHUTDOWN);
    await("the handler ended", dispatcher::idle);
    await("the result", () -> kinds("j-1").contains("RESULT"));
    List<Object> sent = sent("j-1");
    assertEquals(List.of("STARTED", "HEARTBEAT", "HEARTBEAT", "RESULT"), kinds("j-1"));
    assertEquals("{\"i\":2}", ((Progress) sent.get(2)).getDetails(), "the pending details first");
    Failure failure = result("j-1").getFailure();
    assertEquals(ResultStatus.FAILED, result("j-1").getStatus());
    assertEquals("WorkerShutdown", failure.getType());
    assertFalse(failure.getNonRetryable());
    assertEquals(
        JobRunner.WORKER_SHUTDOWN_MESSAGE + ": attempt cancelled: WorkerShutdown",
        failure.getMessage());
    assertNull(failure.getDetails());
    assertNull(failure.getStackTrace());
    assertEquals(1, dispatcher.releasedAtShutdown());
    assertEquals(0, dispatcher.releaseStillRunning(), "nothing left to release");
  }

  @Test
  void anyErrorAfterTheShutdownCancellationIsWorkerShutdownButAReturnIsCompleted() {
    JobRunner runner = new JobRunner("w-1", "java/test", clock, clock::monotonicMillis, 1000);
    Attempt failing = Attempt.detached(job("j-1").build(), clock);
    failing.cancel(Attempt.WORKER_SHUTDOWN);
    Result failed =
        run(
            runner,
            failing,
            payload -> {
              throw new IllegalStateException("disk gone");
            });
    assertEquals("WorkerShutdown", failed.getFailure().getType());
    assertEquals(
        JobRunner.WORKER_SHUTDOWN_MESSAGE + ": disk gone", failed.getFailure().getMessage());

    Attempt silent = Attempt.detached(job("j-2").build(), clock);
    silent.cancel(Attempt.WORKER_SHUTDOWN);
    Result bare =
        run(
            runner,
            silent,
            payload -> {
              throw new IllegalStateException();
            });
    assertEquals(JobRunner.WORKER_SHUTDOWN_MESSAGE, bare.getFailure().getMessage());

    Attempt returning = Attempt.detached(job("j-3").build(), clock);
    returning.cancel(Attempt.WORKER_SHUTDOWN);
    assertEquals(ResultStatus.COMPLETED, run(runner, returning, payload -> "done").getStatus());

    Attempt withdrawn = Attempt.detached(job("j-4").build(), clock);
    withdrawn.cancel(Attempt.WORKER_SHUTDOWN);
    withdrawn.withdraw("RunCancelled"); // a Cancel read after: its failure is its own
    Result own =
        run(
            runner,
            withdrawn,
            payload -> {
              throw new IllegalStateException("x");
            });
    assertEquals("IllegalStateException", own.getFailure().getType());
  }

  @Test
  void anAttemptStillRunningAfterTheGraceIsReleasedOnceAndItsLateOutcomeDropped() throws Exception {
    Stubborn stubborn = new Stubborn();
    JobDispatcher dispatcher = dispatcher(Map.of("work", stubborn));
    assertTrue(dispatch(dispatcher, job("j-1").build(), 0)); // no heartbeat timeout
    assertTrue(stubborn.started.await(10, TimeUnit.SECONDS));
    await("heartbeats", () -> stubborn.round.get() > 3);
    running.cancelAll(Attempt.WORKER_SHUTDOWN);
    assertFalse(dispatcher.idle());
    assertEquals(List.of("STARTED"), kinds("j-1"), "the first heartbeat; the latest is pending");
    assertEquals(OptionalLong.empty(), offsets.storedPosition());

    assertEquals(1, dispatcher.releaseStillRunning());
    assertEquals(List.of("STARTED", "HEARTBEAT", "RESULT"), kinds("j-1"));
    Progress last = (Progress) sent("j-1").get(1);
    assertTrue(last.getDetails().startsWith("{\"i\":"), last.getDetails());
    Result released = result("j-1");
    assertEquals(ResultStatus.FAILED, released.getStatus());
    assertEquals("WorkerShutdown", released.getFailure().getType());
    assertEquals(JobRunner.WORKER_SHUTDOWN_MESSAGE, released.getFailure().getMessage());
    assertFalse(released.getFailure().getNonRetryable());
    assertEquals(clock.millis(), released.getFinishedAt());
    assertEquals(OptionalLong.of(1), offsets.storedPosition(), "stored once acknowledged");
    assertEquals(1, dispatcher.releasedAtShutdown());

    int beats = stubborn.round.get();
    await("heartbeats after the release", () -> stubborn.round.get() > beats + 3);
    stubborn.release.countDown();
    await("the handler ended", () -> stubborn.done.get() && running.isEmpty());
    assertEquals(
        List.of("STARTED", "HEARTBEAT", "RESULT"), kinds("j-1"), "nothing after the release");
    assertEquals(0, dispatcher.releaseStillRunning());
  }

  @Test
  void anAttemptWhoseHandlerJustEndedIsNotReleasedItSendsItsOwnResult() {
    Attempt attempt = Attempt.detached(job("j-1").build(), clock);
    attempt.begin(clock.millis());
    attempt.end(false);
    assertEquals(-1, attempt.release());
    assertTrue(attempt.claimAnswer(), "the handler's result goes out");

    Attempt queued = Attempt.detached(job("j-2").build(), clock); // registered, not begun
    assertEquals(clock.millis(), queued.release());
    assertFalse(queued.claimAnswer(), "released: its handler's outcome is dropped");
    assertEquals(-1, queued.release(), "once");
  }

  @Test
  void aWithdrawnAttemptIsNotReleased() throws Exception {
    Stubborn stubborn = new Stubborn();
    JobDispatcher dispatcher = dispatcher(Map.of("work", stubborn));
    assertTrue(dispatch(dispatcher, job("j-1").build(), 0));
    assertTrue(stubborn.started.await(10, TimeUnit.SECONDS));
    withdrawals.withdraw("j-1", "RunCancelled", clock.millis(), clock.millis());
    running.cancelAll(Attempt.WORKER_SHUTDOWN);
    assertEquals(0, dispatcher.releaseStillRunning());
    assertEquals(OptionalLong.of(1), offsets.storedPosition());
    stubborn.release.countDown();
    await("the handler ended", running::isEmpty);
    assertEquals(ResultStatus.COMPLETED, result("j-1").getStatus());
  }

  @Test
  void theAttemptIsRegisteredBeforeTheWithdrawnCheckSoACancelInBetweenIsNeverLost()
      throws Exception {
    AtomicInteger handled = new AtomicInteger();
    List<Integer> registeredAtCheck = new ArrayList<>();
    // The deadline clock is read between the registration and the withdrawn check: a Cancel read
    // then (on the control thread) must reach the check or the registered attempt.
    ManualClock hooked =
        new ManualClock(clock.millis()) {
          @Override
          public long millis() {
            if (registeredAtCheck.isEmpty()) {
              registeredAtCheck.add(running.size());
              withdrawals.withdraw("j-1", "RunCancelled", super.millis(), super.millis());
            }
            return super.millis();
          }
        };
    JobDispatcher dispatcher =
        dispatcher(
            Map.of(
                "work",
                payload -> {
                  handled.incrementAndGet();
                  return "ran";
                }),
            hooked);
    assertTrue(dispatch(dispatcher, job("j-1").build(), 0));
    assertEquals(List.of(1), registeredAtCheck, "registered before the check");
    assertEquals(0, handled.get(), "a withdrawn attempt is never started");
    assertEquals(List.of("SKIPPED"), kinds("j-1"));
    assertEquals(StaleAttempt.WITHDRAWN, ((Progress) sent("j-1").get(0)).getReason());
    assertTrue(running.isEmpty(), "unregistered after the skip");
    assertEquals(OptionalLong.of(1), offsets.storedPosition());
  }

  @Test
  void theInjectedWallClockDecidesTheDeadlineAndStampsEveryRecord() throws Exception {
    // The clock says 2000-01-01: a deadline in 2000 has passed, one far before "now" has not.
    JobDispatcher dispatcher = dispatcher(Map.of("work", payload -> "ran"));
    long now = clock.millis();
    assertTrue(dispatch(dispatcher, job("j-late").setDeadlineAt(now).build(), 0));
    assertEquals(List.of("SKIPPED"), kinds("j-late"));
    Progress skipped = (Progress) sent("j-late").get(0);
    assertEquals(StaleAttempt.DEADLINE_PASSED, skipped.getReason());
    assertEquals(now, skipped.getAt());

    assertTrue(
        dispatch(
            dispatcher,
            job("j-ok").setDeadlineAt(now + 1).setHeartbeatTimeoutMs(3_000L).build(),
            1));
    await("the result", () -> kinds("j-ok").contains("RESULT"));
    Progress started = (Progress) sent("j-ok").get(0);
    Result result = result("j-ok");
    assertEquals(ResultStatus.COMPLETED, result.getStatus());
    assertEquals(now, result.getStartedAt());
    assertEquals(now, result.getFinishedAt());
    assertEquals(now, started.getStartedAt());
    assertEquals(now, started.getAt());
  }

  @Test
  void durationsAreMeasuredOnTheMonotonicClockNotTheWallClock() {
    List<ProgressKind> progress = new ArrayList<>();
    JobRunner runner = new JobRunner("w-1", "java/test", clock, clock::monotonicMillis, 1000);
    Attempt attempt =
        runner.attempt(
            job("j-1").setStartToCloseMs(5_000L).build(),
            (p, onAck) -> progress.add(p.getKind()),
            Runnable::run,
            () -> {});
    attempt.begin(clock.millis());
    clock.jumpWall(3_600_000); // the system time is set an hour ahead: no time has passed
    attempt.tick(clock.monotonicMillis());
    assertFalse(attempt.isCancelled(), "startToClose counts monotonic time");
    assertEquals(List.of(), progress, "the lazy STARTED counts monotonic time");
    attempt.heartbeat(null); // STARTED now
    attempt.heartbeat(Map.of("i", 1)); // pending for the 10 s interval
    clock.jumpWall(-7_200_000);
    attempt.tick(clock.monotonicMillis());
    assertEquals(List.of(ProgressKind.STARTED), progress);
    clock.advance(4_999);
    attempt.tick(clock.monotonicMillis());
    assertFalse(attempt.isCancelled());
    clock.advance(1);
    attempt.tick(clock.monotonicMillis());
    assertEquals(Attempt.START_TO_CLOSE_TIMEOUT, attempt.cancelReason());
    clock.advance(5_000); // 10 s since STARTED went out
    attempt.tick(clock.monotonicMillis());
    assertEquals(List.of(ProgressKind.STARTED, ProgressKind.HEARTBEAT), progress);
    attempt.end(true);
    Thread.interrupted();
  }

  private static Result run(JobRunner runner, Attempt attempt, Handler handler) {
    return runner.run(attempt, TestBridge.step(handler));
  }
}
