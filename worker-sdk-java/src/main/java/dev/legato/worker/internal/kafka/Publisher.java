package dev.legato.worker.internal.kafka;

import dev.legato.protocol.Result;
import dev.legato.worker.internal.protocol.DltHeaders;
import dev.legato.worker.internal.protocol.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Writes results and dead letters with the worker's one producer. Thread-safe. */
public final class Publisher {
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

  private final Producer<byte[], byte[]> producer;
  private final MessageCodec codec;
  private final String resultsTopic;
  private final String deadLetterTopic;
  private final String workerId;
  private final Clock clock;

  public Publisher(
      Producer<byte[], byte[]> producer,
      MessageCodec codec,
      String resultsTopic,
      String deadLetterTopic,
      String workerId,
      Clock clock) {
    this.producer = producer;
    this.codec = codec;
    this.resultsTopic = resultsTopic;
    this.deadLetterTopic = deadLetterTopic;
    this.workerId = workerId;
    this.clock = clock;
  }

  /** The result, keyed by runId; {@code done} runs once Kafka has acknowledged it (or failed). */
  public void publishResult(Result result, Callback done) {
    byte[] key = result.getRunId().getBytes(StandardCharsets.UTF_8);
    producer.send(new ProducerRecord<>(resultsTopic, key, codec.encodeResult(result)), done);
  }

  /** The undecodable record, byte for byte, with its key, its headers and the DLT headers. */
  public void publishDeadLetter(
      ConsumerRecord<byte[], byte[]> record, String error, Callback done) {
    RecordHeaders headers = new RecordHeaders();
    for (Header header : record.headers()) {
      if (!DLT_HEADER_NAMES.contains(header.key())) {
        headers.add(header);
      }
    }
    add(headers, DltHeaders.DLT_REASON, DltHeaders.REASON_UNDECODABLE);
    add(headers, DltHeaders.ERROR_TYPE, DltHeaders.DECODE_ERROR);
    add(headers, DltHeaders.ERROR_MESSAGE, error);
    add(headers, DltHeaders.SOURCE_TOPIC, record.topic());
    add(headers, DltHeaders.SOURCE_PARTITION, Integer.toString(record.partition()));
    add(headers, DltHeaders.SOURCE_OFFSET, Long.toString(record.offset()));
    add(headers, DltHeaders.WORKER_ID, workerId);
    add(headers, DltHeaders.FAILED_AT, Long.toString(clock.millis()));
    producer.send(
        new ProducerRecord<>(deadLetterTopic, null, record.key(), record.value(), headers), done);
  }

  private static void add(RecordHeaders headers, String name, String value) {
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
