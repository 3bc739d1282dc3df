package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.ProgressKind;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.Handler;
import dev.legato.worker.JobContext;
import dev.legato.worker.TestBridge;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** An attempt's progress reports and cancellation, with a hand-moved clock and real threads. */
class AttemptTest {
  private final ManualClock clock = new ManualClock(1_000_000);
  private final List<Progress> sent = new CopyOnWriteArrayList<>();
  private final ProgressSink sink =
      (progress, onAck) -> {
        sent.add(progress);
        onAck.run();
      };
  private final AtomicInteger startedAcks = new AtomicInteger();
  private final AtomicInteger resultAcks = new AtomicInteger();
  private final Completion completion =
      Completion.once(
          new Completion() {
            @Override
            public void durable() {
              resultAcks.incrementAndGet();
            }

            @Override
            public void startedDurable() {
              startedAcks.incrementAndGet();
            }
          });
  private final JobRunner runner =
      new JobRunner("w-1", "java/test", clock, clock::monotonicMillis, 1_000_000);

  private static Job.Builder job() {
    return Job.newBuilder()
        .setJobId("j-1")
        .setRunId("r-1")
        .setStepId("s-1")
        .setAttempt(3)
        .setAction("step1")
        .setPayload("{}")
        .setWorkflowId("wf")
        .setWorkflowVersion(1)
        .setQueue("q")
        .setCreatedAt(1L);
  }

  private Attempt attempt(Job job) {
    return runner.attempt(job, sink, Runnable::run, completion);
  }

  private List<ProgressKind> kinds() {
    return sent.stream().map(Progress::getKind).toList();
  }

  @Test
  void aHeartbeatingAttemptReportsStartedAtOnceAndOwnsItsOffsetOnceAcked() {
    Attempt attempt = attempt(job().setHeartbeatTimeoutMs(3_000L).build());
    Result result = run(runner, attempt, payload -> "ok");
    assertEquals(ResultStatus.COMPLETED, result.getStatus());
    assertEquals(List.of(ProgressKind.STARTED), kinds());
    Progress started = sent.get(0);
    assertEquals("j-1", started.getJobId());
    assertEquals(3, started.getAttempt());
    assertEquals("w-1", started.getWorkerId());
    assertEquals("java/test", started.getSdk());
    assertEquals(result.getStartedAt(), started.getStartedAt());
    assertNull(started.getDetails());
    assertEquals(1, startedAcks.get());
    completion.durable(); // the result's acknowledgement comes after: counted once in all
    assertEquals(0, resultAcks.get());
  }

  @Test
  void withoutAHeartbeatTimeoutStartedWaitsOneSecondOfRunning() {
    Attempt attempt = attempt(job().build());
    attempt.begin(clock.millis());
    attempt.tick(clock.monotonicMillis() + 999);
    assertEquals(List.of(), kinds());
    attempt.tick(clock.monotonicMillis() + 1_000);
    assertEquals(List.of(ProgressKind.STARTED), kinds());
    assertEquals(0, startedAcks.get(), "only a heartbeating attempt stores its offset early");
    attempt.tick(clock.monotonicMillis() + 60_000);
    assertEquals(List.of(ProgressKind.STARTED), kinds(), "no heartbeat without heartbeat()");
    attempt.end(false);
  }

  @Test
  void heartbeatsAreCoalescedAndAFailureSendsThePendingDetailsBeforeItsResult() {
    Attempt attempt = attempt(job().setHeartbeatTimeoutMs(1_500L).build());
    Result result =
        run(
            runner,
            attempt,
            payload -> {
              JobContext ctx = JobContext.current();
              for (int i = 1; i <= 5; i++) {
                ctx.heartbeat(Map.of("done", i));
                clock.advance(100);
                attempt.tick(clock.monotonicMillis());
              }
              throw new IllegalStateException("boom");
            });
    assertEquals(ResultStatus.FAILED, result.getStatus());
    // STARTED at once, the first heartbeat at once, {"done":5} pending until the failure
    assertEquals(
        List.of(ProgressKind.STARTED, ProgressKind.HEARTBEAT, ProgressKind.HEARTBEAT), kinds());
    assertEquals("{\"done\":1}", sent.get(1).getDetails());
    assertEquals("{\"done\":5}", sent.get(2).getDetails());
    int before = sent.size();
    JobContext.of(attempt).heartbeat(Map.of("late", true));
    attempt.tick(clock.monotonicMillis() + 60_000);
    assertEquals(before, sent.size(), "nothing after the end");
  }

  @Test
  void aCancelInterruptsTheRunningHandlerAndIsReportedAsAttemptCancelled() throws Exception {
    Attempt attempt = attempt(job().build());
    CountDownLatch running = new CountDownLatch(1);
    AtomicReference<Result> result = new AtomicReference<>();
    AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
    Thread handler =
        new Thread(
            () -> {
              result.set(
                  run(
                      runner,
                      attempt,
                      payload -> {
                        running.countDown();
                        Thread.sleep(30_000);
                        return "not cancelled";
                      }));
              interruptedAfter.set(Thread.currentThread().isInterrupted());
            });
    handler.start();
    assertTrue(running.await(10, TimeUnit.SECONDS));
    attempt.cancel("RunCancelled");
    handler.join(10_000);
    assertFalse(handler.isAlive());
    assertEquals(ResultStatus.FAILED, result.get().getStatus());
    assertEquals("AttemptCancelled", result.get().getFailure().getType());
    assertTrue(result.get().getFailure().getMessage().contains("RunCancelled"));
    assertFalse(result.get().getFailure().getNonRetryable());
    assertEquals(Boolean.FALSE, interruptedAfter.get(), "the thread is clean for the next job");
    assertTrue(attempt.isCancelled());
    assertEquals("RunCancelled", attempt.cancelReason());
    attempt.cancel("Superseded");
    assertEquals("RunCancelled", attempt.cancelReason(), "the first reason stays");
  }

  @Test
  void aCancelBeforeTheHandlerStartsInterruptsItAtOnce() {
    Attempt attempt = attempt(job().build());
    attempt.cancel("Superseded");
    Result result =
        run(
            runner,
            attempt,
            payload -> {
              JobContext ctx = JobContext.current();
              assertTrue(ctx.isCancelled());
              assertEquals("Superseded", ctx.cancelReason());
              assertTrue(Thread.currentThread().isInterrupted());
              ctx.throwIfCancelled();
              return "unreachable";
            });
    assertEquals("AttemptCancelled", result.getFailure().getType());
    assertFalse(Thread.currentThread().isInterrupted());
  }

  @Test
  void startToCloseElapsingCancelsTheHandler() {
    Attempt attempt = attempt(job().setStartToCloseMs(5_000L).build());
    attempt.begin(clock.millis());
    attempt.tick(clock.monotonicMillis() + 4_999);
    assertFalse(attempt.isCancelled());
    attempt.tick(clock.monotonicMillis() + 5_000);
    assertTrue(attempt.isCancelled());
    assertEquals(Attempt.START_TO_CLOSE_TIMEOUT, attempt.cancelReason());
    attempt.end(true);
    assertFalse(Thread.currentThread().isInterrupted());
  }

  @Test
  void lastHeartbeatDetailsAreParsedOrNull() {
    JsonNode details =
        JobContext.of(attempt(job().setLastHeartbeatDetails("{\"done\":4}").build()))
            .lastHeartbeatDetails();
    assertEquals(4, details.path("done").asInt());
    assertNull(JobContext.of(attempt(job().build())).lastHeartbeatDetails());
    assertNull(
        JobContext.of(attempt(job().setLastHeartbeatDetails("{not json").build()))
            .lastHeartbeatDetails());
    assertNull(
        JobContext.of(attempt(job().setLastHeartbeatDetails("null").build()))
            .lastHeartbeatDetails());
  }

  @Test
  void withdrawalsAndDeadlinesMakeAnAttemptStale() {
    RunningAttempts running = new RunningAttempts();
    Withdrawals withdrawals = new Withdrawals(running);
    long now = clock.millis();
    Job fresh = job().setDeadlineAt(now + 1).build();
    assertNull(StaleAttempt.reason(fresh, withdrawals, now));
    assertNull(StaleAttempt.reason(job().build(), withdrawals, now));
    assertEquals(
        StaleAttempt.DEADLINE_PASSED,
        StaleAttempt.reason(job().setDeadlineAt(now).build(), withdrawals, now));

    Attempt attempt = attempt(job().build());
    running.add(attempt);
    attempt.begin(now);
    withdrawals.withdraw("j-1", "RunCancelled", now, now);
    assertTrue(attempt.isCancelled());
    assertTrue(Thread.interrupted(), "the running handler's thread was interrupted");
    assertEquals(StaleAttempt.WITHDRAWN, StaleAttempt.reason(fresh, withdrawals, now));
    withdrawals.prune(now + Withdrawals.KEEP_MS - 1);
    assertTrue(withdrawals.isWithdrawn("j-1"));
    withdrawals.prune(now + Withdrawals.KEEP_MS);
    assertFalse(withdrawals.isWithdrawn("j-1"));
    withdrawals.withdraw("j-2", "RunEnded", now - Withdrawals.KEEP_MS, now);
    assertFalse(withdrawals.isWithdrawn("j-2"), "a withdrawal older than a day is forgotten");
    attempt.end(true);
  }

  @Test
  void aDetachedContextChecksDetailsAndIsNeverCancelled() {
    JobContext ctx = new JobContext("j", "r", "s", 1, "a", "wf", 1, null, null, null);
    ctx.heartbeat(Map.of("ok", 1));
    ctx.heartbeat();
    org.junit.jupiter.api.Assertions.assertThrows(
        dev.legato.worker.SerializationError.class, () -> ctx.heartbeat(Double.NaN));
    assertFalse(ctx.isCancelled());
    assertNull(ctx.cancelReason());
    assertNull(ctx.lastHeartbeatDetails());
    ctx.throwIfCancelled();
    assertEquals(new JobContext("j", "r", "s", 1, "a", "wf", 1, null, null, null), ctx);
    assertEquals("j", ctx.jobId());
  }

  private static Result run(JobRunner runner, Attempt attempt, Handler handler) {
    return runner.run(attempt, TestBridge.step(handler));
  }
}
