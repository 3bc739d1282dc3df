package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.ApplicationError;
import dev.legato.worker.Handler;
import dev.legato.worker.JobContext;
import dev.legato.worker.NonRetryableError;
import dev.legato.worker.TestBridge;
import dev.legato.worker.internal.protocol.EnvelopeCaps;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobRunnerTest {
  private final JobRunner runner =
      new JobRunner("w-1", "java/0.1.0", Clock.fixed(Instant.ofEpochMilli(42), ZoneOffset.UTC));

  private static Job job() {
    return Job.newBuilder()
        .setJobId("j-1")
        .setRunId("r-1")
        .setStepId("s-1")
        .setAttempt(2)
        .setAction("step1")
        .setPayload("\"Hello\"")
        .setWorkflowId("wf")
        .setWorkflowVersion(3)
        .setQueue("workflow-jobs.step1")
        .setTraceparent("00-abc-def-01")
        .setCorrelationId("corr")
        .setCreatedAt(1L)
        .build();
  }

  @Test
  void returnValueIsCompletedWithJsonOutputAndEchoedFields() throws Exception {
    Result result = run(runner, job(), p -> "Java processed: " + p.asText());
    assertEquals(ResultStatus.COMPLETED, result.getStatus());
    assertEquals("\"Java processed: Hello\"", result.getOutput());
    assertNull(result.getFailure());
    assertEquals("j-1", result.getJobId());
    assertEquals("r-1", result.getRunId());
    assertEquals("s-1", result.getStepId());
    assertEquals(2, result.getAttempt());
    assertEquals("step1", result.getAction());
    assertEquals("00-abc-def-01", result.getTraceparent());
    assertEquals("corr", result.getCorrelationId());
    assertEquals("w-1", result.getWorkerId());
    assertEquals("java/0.1.0", result.getSdk());
    assertEquals(42L, result.getStartedAt());
    assertEquals(42L, result.getFinishedAt());
  }

  @Test
  void nullAndStructuredOutputsAreJson() throws Exception {
    assertEquals("null", run(runner, job(), p -> null).getOutput());
    assertEquals("{\"echo\":\"Hello\"}", run(runner, job(), p -> Map.of("echo", p)).getOutput());
  }

  @Test
  void plainExceptionIsFailedWithItsSimpleName() throws Exception {
    Result result =
        run(
            runner,
            job(),
            p -> {
              throw new IllegalStateException("plain failure");
            });
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertNull(result.getOutput());
    assertEquals("IllegalStateException", result.getFailure().getType());
    assertEquals("plain failure", result.getFailure().getMessage());
    assertFalse(result.getFailure().getNonRetryable());
    assertNull(result.getFailure().getDetails());
    assertTrue(result.getFailure().getStackTrace().contains("IllegalStateException"));
  }

  @Test
  void applicationErrorCarriesTypeRetryabilityAndDetails() throws Exception {
    Result result =
        run(
            runner,
            job(),
            p -> {
              throw new ApplicationError("boom", "ConformanceError", Map.of("payload", p));
            });
    assertEquals("ConformanceError", result.getFailure().getType());
    assertEquals("boom", result.getFailure().getMessage());
    assertFalse(result.getFailure().getNonRetryable());
    assertEquals("{\"payload\":\"Hello\"}", result.getFailure().getDetails());
  }

  @Test
  void nonRetryableErrorIsNonRetryable() throws Exception {
    Result result =
        run(
            runner,
            job(),
            p -> {
              throw new NonRetryableError("declined", "CardDeclined", Map.of("code", "51"));
            });
    assertEquals("CardDeclined", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
    assertEquals("{\"code\":\"51\"}", result.getFailure().getDetails());
  }

  @Test
  void applicationErrorWithoutTypeUsesItsClassName() throws Exception {
    Result result =
        run(
            runner,
            job(),
            p -> {
              throw new ApplicationError("x", null, true, null);
            });
    assertEquals("ApplicationError", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
    Result nonRetryable =
        run(
            runner,
            job(),
            p -> {
              throw new NonRetryableError("y");
            });
    assertEquals("NonRetryableError", nonRetryable.getFailure().getType());
  }

  @Test
  void unserialisableReturnValueIsANonRetryableSerializationError() throws Exception {
    Result result = run(runner, job(), p -> new Object());
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("SerializationError", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
    assertNull(result.getOutput());
  }

  @Test
  void nanAndInfinitiesAreSerializationErrorsNotStrings() {
    List<Object> outputs =
        List.of(
            mapOf("value", Double.NaN),
            Double.POSITIVE_INFINITY,
            List.of(1.0, Float.NEGATIVE_INFINITY),
            JsonNodeFactory.instance.objectNode().put("v", Double.NaN));
    for (Object output : outputs) {
      Result result = run(runner, job(), p -> output);
      assertEquals(ResultStatus.FAILED, result.getStatus(), String.valueOf(output));
      assertEquals("SerializationError", result.getFailure().getType());
      assertTrue(result.getFailure().getNonRetryable());
      assertTrue(
          result.getFailure().getMessage().contains("JSON"), result.getFailure().getMessage());
    }
    assertEquals("[1.5,-0.0]", run(runner, job(), p -> List.of(1.5, -0.0)).getOutput());
  }

  @Test
  void aLoneSurrogateIsASerializationError() {
    Result result = run(runner, job(), p -> "broken \uD800 text");
    assertEquals("SerializationError", result.getFailure().getType());
    assertEquals("\"ok \uD83D\uDE00\"", run(runner, job(), p -> "ok \uD83D\uDE00").getOutput());
  }

  @Test
  void aCyclicOutputIsASerializationError() {
    List<Object> cycle = new ArrayList<>();
    cycle.add(cycle);
    Result result = run(runner, job(), p -> cycle);
    assertEquals("SerializationError", result.getFailure().getType());
  }

  @Test
  void outputOverTheLimitIsResultTooLargeNamingSizeAndLimit() {
    JobRunner small = new JobRunner("w-1", "java/0.1.0", Clock.systemUTC(), 100);
    assertEquals(ResultStatus.COMPLETED, run(small, job(), p -> "x".repeat(98)).getStatus());
    Result result = run(small, job(), p -> "x".repeat(99)); // 101 bytes with the quotes
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertNull(result.getOutput());
    assertEquals("ResultTooLarge", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
    assertTrue(result.getFailure().getMessage().contains("101"), result.getFailure().getMessage());
    assertTrue(result.getFailure().getMessage().contains("100"), result.getFailure().getMessage());
    Result multibyte = run(small, job(), p -> "é".repeat(50)); // 102 bytes
    assertEquals("ResultTooLarge", multibyte.getFailure().getType());
  }

  @Test
  void stackOverflowAndOutOfMemoryAreFailedResults() {
    Result overflow = run(runner, job(), p -> recurse(0));
    assertEquals(ResultStatus.FAILED, overflow.getStatus());
    assertEquals("StackOverflowError", overflow.getFailure().getType());
    assertTrue(
        overflow.getFailure().getStackTrace().length() <= EnvelopeCaps.STACK_TRACE_CHARS,
        "stack trace capped");
    Result oom =
        run(
            runner,
            job(),
            p -> {
              throw new OutOfMemoryError("Java heap space");
            });
    assertEquals("OutOfMemoryError", oom.getFailure().getType());
    assertEquals("Java heap space", oom.getFailure().getMessage());
  }

  @Test
  void hugeMessagesAndDetailsAreCapped() {
    Result result =
        run(
            runner,
            job(),
            p -> {
              throw new ApplicationError("m".repeat(10_000), "Big", "d".repeat(70_000));
            });
    assertEquals(EnvelopeCaps.MESSAGE_CHARS, result.getFailure().getMessage().length());
    assertTrue(result.getFailure().getMessage().endsWith("...[truncated]"));
    assertEquals("{\"truncated\":true,\"bytes\":70002}", result.getFailure().getDetails());
  }

  private static long recurse(long depth) {
    return recurse(depth + 1) + 1;
  }

  private static Map<String, Object> mapOf(String key, Object value) {
    Map<String, Object> map = new HashMap<>();
    map.put(key, value);
    return map;
  }

  @Test
  void payloadThatIsNotJsonIsANonRetryableInvalidPayload() {
    Job job = job();
    job.setPayload("{not json");
    Result result = run(runner, job, p -> "never");
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("InvalidPayload", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
  }

  @Test
  void handlerSeesItsJobContextOnlyWhileRunning() {
    Result result =
        run(
            runner,
            job(),
            p -> JobContext.current().jobId() + "/" + JobContext.current().attempt());
    assertEquals("\"j-1/2\"", result.getOutput());
    assertThrows(IllegalStateException.class, JobContext::current);
  }

  @Test
  void unknownActionIsNonRetryableAndRunsNothing() {
    Result result = runner.unknownAction(job());
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("UnknownAction", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
    assertTrue(result.getFailure().getMessage().contains("step1"));
  }

  private static Result run(JobRunner runner, Job job, Handler handler) {
    return runner.run(job, TestBridge.step(handler));
  }
}
