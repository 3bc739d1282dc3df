package dev.legato.worker.it;

import static dev.legato.worker.it.KafkaSupport.TIMEOUT;
import static dev.legato.worker.it.KafkaSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.Worker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every job gets an answer, and its handler runs once, when the output cannot be sent as it is:
 * over the size limit, over the broker's limit, NaN, or a handler that overflows its stack.
 */
class AnswersIT {
  private KafkaSupport kafka;
  private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

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

  private void ran(String action) {
    runs.computeIfAbsent(action, a -> new AtomicInteger()).incrementAndGet();
  }

  @Test
  void outputsThatCannotBeSentAreAnsweredOnceWithANonRetryableFailure() throws Exception {
    Worker worker = new Worker(kafka.settings().build());
    worker.register(
        "big",
        payload -> {
          ran("big");
          return "x".repeat(1_200_000);
        });
    worker.register(
        "nan",
        payload -> {
          ran("nan");
          Map<String, Object> output = new HashMap<>();
          output.put("value", Double.NaN);
          return output;
        });
    worker.register(
        "recurse",
        payload -> {
          ran("recurse");
          return recurse(0);
        });
    worker.register(
        "ok",
        payload -> {
          ran("ok");
          return "fine";
        });
    kafka.startInBackground(worker);

    Job big = kafka.job("big", "{}");
    Job nan = kafka.job("nan", "{}");
    Job recurse = kafka.job("recurse", "{}");
    Job ok = kafka.job("ok", "{}");
    for (Job job : List.of(big, nan, recurse, ok)) {
      kafka.send(kafka.jobTopic(job.getAction()), job);
    }

    Result tooLarge = kafka.awaitResult(big.getJobId());
    assertFailed(tooLarge, "ResultTooLarge");
    assertTrue(tooLarge.getFailure().getMessage().contains("1200002"));
    assertTrue(tooLarge.getFailure().getMessage().contains("1000000"));
    assertFailed(kafka.awaitResult(nan.getJobId()), "SerializationError");
    Result overflow = kafka.awaitResult(recurse.getJobId());
    assertEquals(ResultStatus.FAILED, overflow.getStatus());
    assertEquals("StackOverflowError", overflow.getFailure().getType());
    assertEquals("\"fine\"", kafka.awaitResult(ok.getJobId()).getOutput());

    for (String action : List.of("big", "nan", "recurse", "ok")) {
      await(action + " committed", TIMEOUT, () -> committed(action) == 1);
      assertEquals(1, runs.get(action).get(), action + " ran once");
    }
    assertEquals(4, kafka.resultsSoFar().size(), "one result per job");
  }

  @Test
  void aResultTheBrokerRefusesAsTooLargeBecomesResultTooLarge() throws Exception {
    // The worker's own limit is above the broker's (message.max.bytes, about 1 MB): the broker
    // refuses the record and the worker sends a ResultTooLarge instead, without re-running.
    Worker worker = new Worker(kafka.settings().maxPayloadBytes(5_000_000).build());
    worker.register(
        "huge",
        payload -> {
          ran("huge");
          return "y".repeat(2_000_000);
        });
    kafka.startInBackground(worker);
    Job job = kafka.job("huge", "{}");
    kafka.send(kafka.jobTopic("huge"), job);
    Result result = kafka.awaitResult(job.getJobId());
    assertFailed(result, "ResultTooLarge");
    await("committed", TIMEOUT, () -> committed("huge") == 1);
    assertEquals(1, runs.get("huge").get());
  }

  private static void assertFailed(Result result, String type) {
    assertEquals(ResultStatus.FAILED, result.getStatus());
    assertNull(result.getOutput());
    assertEquals(type, result.getFailure().getType());
    assertTrue(result.getFailure().getNonRetryable(), type + " is not retryable");
  }

  private static long recurse(long depth) {
    return recurse(depth + 1) + 1;
  }

  private long committed(String action) {
    try {
      return kafka.committedOffset(action);
    } catch (Exception e) {
      return -2;
    }
  }
}
