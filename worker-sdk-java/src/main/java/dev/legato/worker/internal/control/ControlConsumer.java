package dev.legato.worker.internal.control;

import dev.legato.protocol.Cancel;
import dev.legato.worker.internal.execute.Monotonic;
import dev.legato.worker.internal.execute.Withdrawals;
import dev.legato.worker.internal.protocol.DecodeException;
import dev.legato.worker.internal.protocol.MessageCodec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the control topic (docs/protocol.md, v2 item 11) on its own thread: assigns itself every
 * partition, with no consumer group and no commits, reads from the beginning up to the end offsets
 * found at start ({@link #awaitCaughtUp}), then tails the topic until stopped. Every {@code Cancel}
 * goes to the {@link Withdrawals}, which also cancels a running execution of its jobId.
 */
public final class ControlConsumer implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ControlConsumer.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration METADATA_WAIT = Duration.ofSeconds(5);
  private static final long WAIT_LOG_EVERY_MS = 10_000;
  private static final long PRUNE_EVERY_MS = 60_000;

  private final String topic;
  private final Consumer<byte[], byte[]> consumer;
  private final MessageCodec codec;
  private final Withdrawals withdrawals;
  private final Clock clock;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile boolean running = true;
  private long lastPrune = Long.MIN_VALUE;

  public ControlConsumer(
      String topic,
      Consumer<byte[], byte[]> consumer,
      MessageCodec codec,
      Withdrawals withdrawals,
      Clock clock) {
    this.topic = topic;
    this.consumer = consumer;
    this.codec = codec;
    this.withdrawals = withdrawals;
    this.clock = clock;
  }

  /** Waits until the topic has been read up to the end offsets found at start. */
  public boolean awaitCaughtUp(long timeout, TimeUnit unit) throws InterruptedException {
    return caughtUp.await(timeout, unit);
  }

  public boolean caughtUp() {
    return caughtUp.getCount() == 0;
  }

  /** Stops reading (from any thread); {@link #run} then closes the consumer and returns. */
  public void stop() {
    running = false;
    consumer.wakeup();
  }

  @Override
  public void run() {
    try {
      List<TopicPartition> partitions = awaitTopic();
      if (partitions.isEmpty()) {
        return; // stopped while waiting
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = endOffsets(partitions);
      while (running && !reached(ends)) {
        read();
      }
      caughtUp.countDown();
      log.info(
          "read control topic {} up to its end: {} withdrawn attempts known",
          topic,
          withdrawals.size());
      while (running) {
        read();
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void read() {
    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
      apply(record);
    }
    long elapsed = Monotonic.millis();
    if (lastPrune == Long.MIN_VALUE || elapsed - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = elapsed;
      withdrawals.prune(clock.millis()); // withdrawal times are wire times: the worker's clock
    }
  }

  private void apply(ConsumerRecord<byte[], byte[]> record) {
    Cancel cancel;
    try {
      cancel = codec.decodeCancel(record.value());
    } catch (DecodeException e) {
      log.warn(
          "ignoring an undecodable control record at {}-{}@{}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
      return;
    }
    log.debug(
        "job {} (action '{}') withdrawn: {}",
        cancel.getJobId(),
        cancel.getAction(),
        cancel.getReason());
    withdrawals.withdraw(cancel.getJobId(), cancel.getReason(), cancel.getAt(), clock.millis());
  }

  /** The topic's partitions, once it exists; empty if stopped first. */
  private List<TopicPartition> awaitTopic() {
    long lastLog = Long.MIN_VALUE;
    while (running) {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, METADATA_WAIT);
      } catch (TimeoutException e) {
        infos = null;
      }
      if (infos != null && !infos.isEmpty()) {
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      }
      long now = Monotonic.millis();
      if (lastLog == Long.MIN_VALUE || now - lastLog >= WAIT_LOG_EVERY_MS) {
        lastLog = now;
        log.warn(
            "control topic {} does not exist (or Kafka is unreachable); waiting for it before"
                + " starting jobs",
            topic);
      }
      sleepQuietly(500); // then ask the metadata again
    }
    return List.of();
  }

  private Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions) {
    while (true) {
      try {
        return consumer.endOffsets(partitions, Duration.ofSeconds(30));
      } catch (TimeoutException e) {
        log.warn("cannot read the end offsets of control topic {}: {}", topic, e.toString());
      }
    }
  }

  private boolean reached(Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      if (consumer.position(end.getKey()) < end.getValue()) {
        return false;
      }
    }
    return true;
  }

  private void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }
}
