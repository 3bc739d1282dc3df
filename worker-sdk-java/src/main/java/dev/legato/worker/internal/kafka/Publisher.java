package dev.legato.worker.internal.kafka;

import dev.legato.protocol.Progress;
import dev.legato.protocol.Result;
import dev.legato.worker.internal.protocol.DltHeaders;
import dev.legato.worker.internal.protocol.EnvelopeCaps;
import dev.legato.worker.internal.protocol.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Writes results, progress records and dead letters through the worker's {@link Delivery}: re-sent
 * until Kafka has them, never given up on except for a fatal producer error. Thread-safe.
 */
public final class Publisher {
  /** What is sent instead of a result Kafka refused as too large ({@code encodedBytes} long). */
  @FunctionalInterface
  public interface TooLarge {
    Result replace(Result refused, int encodedBytes, Throwable why);
  }

  private static final Set<String> DLT_HEADER_NAMES =
      Set.of(
          DltHeaders.DLT_REASON,
          DltHeaders.ERROR_TYPE,
          DltHeaders.ERROR_MESSAGE,
          DltHeaders.SOURCE_TOPIC,
          DltHeaders.SOURCE_PARTITION,
          DltHeaders.SOURCE_OFFSET,
          DltHeaders.WORKER_ID,
          DltHeaders.FAILED_AT);

  private final Delivery delivery;
  private final MessageCodec codec;
  private final String resultsTopic;
  private final String deadLetterTopic;
  private final String workerId;
  private final Clock clock;
  private final TooLarge tooLarge;

  public Publisher(
      Delivery delivery,
      MessageCodec codec,
      String resultsTopic,
      String deadLetterTopic,
      String workerId,
      Clock clock,
      TooLarge tooLarge) {
    this.delivery = delivery;
    this.codec = codec;
    this.resultsTopic = resultsTopic;
    this.deadLetterTopic = deadLetterTopic;
    this.workerId = workerId;
    this.clock = clock;
    this.tooLarge = tooLarge;
  }

  /**
   * The result, keyed by runId (so the default murmur2 partitioner places it); {@code durable} runs
   * once Kafka has acknowledged it. A result Kafka refuses as too large is replaced by what {@link
   * TooLarge} makes of it (a FAILED {@code ResultTooLarge} for the same job).
   */
  public void publishResult(Result result, Runnable durable) {
    publishResult(result, Map.of(), durable);
  }

  /** {@link #publishResult(Result, Runnable)} with these headers (the attempt's trace context). */
  public void publishResult(Result result, Map<String, String> headers, Runnable durable) {
    byte[] encoded = codec.encodeResult(result);
    delivery.deliver(
        "the result of job " + result.getJobId(),
        resultRecord(result, encoded, headers),
        error -> {
          Result replacement = tooLarge.replace(result, encoded.length, error);
          return resultRecord(replacement, codec.encodeResult(replacement), headers);
        },
        durable);
  }

  /**
   * A progress record (v2), keyed by runId like the results, so a run's progress and result share a
   * partition and keep their order; {@code durable} runs once Kafka has acknowledged it.
   */
  public void publishProgress(Progress progress, Runnable durable) {
    publishProgress(progress, Map.of(), durable);
  }

  /** {@link #publishProgress(Progress, Runnable)} with these headers (the trace context). */
  public void publishProgress(Progress progress, Map<String, String> headers, Runnable durable) {
    byte[] key = progress.getRunId().getBytes(StandardCharsets.UTF_8);
    delivery.deliver(
        progress.getKind() + " of job " + progress.getJobId(),
        new ProducerRecord<>(
            resultsTopic, null, key, codec.encodeProgress(progress), recordHeaders(headers)),
        null,
        durable);
  }

  /**
   * The undecodable record, byte for byte, with its key, its headers and the DLT headers; if Kafka
   * refuses it as too large, the DLT headers alone, without the original value.
   */
  public void publishDeadLetter(
      ConsumerRecord<byte[], byte[]> record, String error, Runnable durable) {
    String what =
        "the dead letter of " + record.topic() + "-" + record.partition() + "@" + record.offset();
    delivery.deliver(
        what,
        new ProducerRecord<>(
            deadLetterTopic, null, record.key(), record.value(), headers(record, error, true)),
        tooLarge ->
            new ProducerRecord<>(
                deadLetterTopic, null, record.key(), null, headers(record, error, false)),
        durable);
  }

  private ProducerRecord<byte[], byte[]> resultRecord(
      Result result, byte[] encoded, Map<String, String> headers) {
    byte[] key = result.getRunId().getBytes(StandardCharsets.UTF_8);
    return new ProducerRecord<>(resultsTopic, null, key, encoded, recordHeaders(headers));
  }

  /** UTF-8 headers; null (none) when empty. */
  private static RecordHeaders recordHeaders(Map<String, String> headers) {
    if (headers.isEmpty()) {
      return null;
    }
    RecordHeaders result = new RecordHeaders();
    headers.forEach((name, value) -> add(result, name, value));
    return result;
  }

  private RecordHeaders headers(
      ConsumerRecord<byte[], byte[]> record, String error, boolean withOriginal) {
    RecordHeaders headers = new RecordHeaders();
    if (withOriginal) {
      for (Header header : record.headers()) {
        if (!DLT_HEADER_NAMES.contains(header.key())) {
          headers.add(header);
        }
      }
    }
    add(headers, DltHeaders.DLT_REASON, DltHeaders.REASON_UNDECODABLE);
    add(headers, DltHeaders.ERROR_TYPE, DltHeaders.DECODE_ERROR);
    add(
        headers,
        DltHeaders.ERROR_MESSAGE,
        EnvelopeCaps.cap(error, EnvelopeCaps.DLT_ERROR_MESSAGE_CHARS));
    add(headers, DltHeaders.SOURCE_TOPIC, record.topic());
    add(headers, DltHeaders.SOURCE_PARTITION, Integer.toString(record.partition()));
    add(headers, DltHeaders.SOURCE_OFFSET, Long.toString(record.offset()));
    add(headers, DltHeaders.WORKER_ID, workerId);
    add(headers, DltHeaders.FAILED_AT, Long.toString(clock.millis()));
    return headers;
  }

  private static void add(RecordHeaders headers, String name, String value) {
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
