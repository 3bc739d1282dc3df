package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.ApplicationError;
import dev.legato.worker.JobContext;
import dev.legato.worker.NonRetryableError;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
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
    Result result = runner.run(job(), p -> "Java processed: " + p.asText());
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
    assertEquals("null", runner.run(job(), p -> null).getOutput());
    assertEquals("{\"echo\":\"Hello\"}", runner.run(job(), p -> Map.of("echo", p)).getOutput());
  }

  @Test
  void plainExceptionIsFailedWithItsSimpleName() throws Exception {
    Result result =
        runner.run(
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
        runner.run(
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
        runner.run(
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
        runner.run(
            job(),
            p -> {
              throw new ApplicationError("x", null, true, null);
            });
    assertEquals("ApplicationError", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
    Result nonRetryable =
        runner.run(
            job(),
            p -> {
              throw new NonRetryableError("y");
            });
    assertEquals("NonRetryableError", nonRetryable.getFailure().getType());
  }

  @Test
  void unserialisableReturnValueIsASerializationError() throws Exception {
    Result result = runner.run(job(), p -> new Object());
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("SerializationError", result.getFailure().getType());
    assertNull(result.getOutput());
  }

  @Test
  void payloadThatIsNotJsonIsANonRetryableInvalidPayload() {
    Job job = job();
    job.setPayload("{not json");
    Result result = runner.run(job, p -> "never");
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("InvalidPayload", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
  }

  @Test
  void handlerSeesItsJobContextOnlyWhileRunning() {
    Result result =
        runner.run(job(), p -> JobContext.current().jobId() + "/" + JobContext.current().attempt());
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
}
