package dev.legato.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.internal.execute.JobRunner;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Typed handlers: Jackson conversion at both ends, InvalidPayload when it fails. */
class TypedHandlerTest {
  record Line(String sku, int qty) {}

  record Order(String id, double total, List<Line> lines) {}

  record Receipt(String orderId, double charged) {}

  private final JobRunner runner =
      new JobRunner("w-1", "java/test", Clock.fixed(Instant.ofEpochMilli(42), ZoneOffset.UTC));

  private static Job job(String payload) {
    return Job.newBuilder()
        .setJobId("j-1")
        .setRunId("r-1")
        .setStepId("s-1")
        .setAttempt(1)
        .setAction("charge")
        .setPayload(payload)
        .setWorkflowId("wf")
        .setWorkflowVersion(1)
        .setQueue("workflow-jobs.charge")
        .setCreatedAt(1L)
        .build();
  }

  private <I> Result run(String payload, Class<I> type, TypedHandler<I, ?> handler) {
    Handler bound = TypedPayloads.bind(TypedPayloads.MAPPER.constructType(type), handler);
    return runner.run(job(payload), JobContext.step(bound));
  }

  private static final TypedHandler<Order, Receipt> CHARGE =
      (order, job) -> new Receipt(order.id() + "@" + job.runId(), order.total());

  @Test
  void aRecordInARecordOutWithTheJobContext() {
    Result result =
        run(
            "{\"id\":\"o-1\",\"total\":12.5,\"lines\":[{\"sku\":\"a\",\"qty\":2}]}",
            Order.class,
            CHARGE);
    assertEquals(ResultStatus.COMPLETED, result.getStatus());
    assertEquals("{\"orderId\":\"o-1@r-1\",\"charged\":12.5}", result.getOutput());
  }

  @Test
  void aWrongFieldTypeIsANonRetryableInvalidPayloadNamingTheField() {
    Result result = run("{\"id\":\"o-1\",\"total\":\"lots\",\"lines\":[]}", Order.class, CHARGE);
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("InvalidPayload", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
    String message = result.getFailure().getMessage();
    assertTrue(
        message.startsWith("input: total: Cannot deserialize value of type `double`"), message);
  }

  @Test
  void aNestedFieldIsNamedWithItsPath() {
    Result result =
        run(
            "{\"id\":\"o\",\"total\":1,\"lines\":[{\"sku\":\"a\",\"qty\":2.5}]}",
            Order.class,
            CHARGE);
    String message = result.getFailure().getMessage();
    assertTrue(message.startsWith("input: lines[0].qty: "), message);
  }

  @Test
  void anUnknownPropertyIsAnError() {
    Result result = run("{\"id\":\"o\",\"total\":1,\"lines\":[],\"extra\":1}", Order.class, CHARGE);
    assertEquals("InvalidPayload", result.getFailure().getType());
    assertTrue(
        result.getFailure().getMessage().startsWith("input: extra: Unrecognized field \"extra\""),
        result.getFailure().getMessage());
  }

  @Test
  void aMissingPrimitiveIsAnError() {
    Result result = run("{\"id\":\"o\",\"lines\":[]}", Order.class, CHARGE);
    assertEquals("InvalidPayload", result.getFailure().getType());
    assertTrue(result.getFailure().getMessage().startsWith("input: total: "));
  }

  @Test
  void anOutputJacksonCannotConvertIsAnOutputError() {
    Result result =
        run("{\"id\":\"o\",\"total\":1,\"lines\":[]}", Order.class, (o, job) -> new Object());
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertEquals("InvalidPayload", result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable());
    assertTrue(result.getFailure().getMessage().startsWith("output: No serializer found"));
  }

  @Test
  void genericInputTypes() {
    Handler bound =
        TypedPayloads.bind(
            TypedPayloads.MAPPER.constructType(new TypeReference<List<Line>>() {}),
            (List<Line> lines, JobContext job) -> Map.of("count", lines.size()));
    Result result = runner.run(job("[{\"sku\":\"a\",\"qty\":1}]"), JobContext.step(bound));
    assertEquals("{\"count\":1}", result.getOutput());
    assertNull(result.getFailure());
  }

  @Test
  void registerTakesATypedHandler() {
    Worker worker = new Worker(WorkerSettings.builder().build());
    worker.register("charge", Order.class, CHARGE);
    worker.register("lines", new TypeReference<List<Line>>() {}, (lines, job) -> lines.size());
    worker.stop();
  }
}
