package dev.legato.worker.internal.consume;

import dev.legato.worker.internal.execute.Completion;
import dev.legato.worker.internal.execute.JobDispatcher;
import dev.legato.worker.internal.execute.Monotonic;
import dev.legato.worker.internal.observe.WorkerMetrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer of one action's job topic, run on its own thread. Polls, hands records to the {@link
 * JobDispatcher} in order, and commits each partition's position only up to the first record whose
 * outcome is not yet durable.
 *
 * <p>Never livelocks under a backlog: a record starts only when a handler slot is free; the records
 * of a poll beyond the free slots wait in a small buffer (at most {@code max.poll.records}, set to
 * the concurrency) while every assigned partition is paused, and the consumer keeps polling, so it
 * stays in its group however long the handlers take. On revocation the buffered records are
 * dropped, and the offsets of the revoked partitions' jobs still running are never committed by
 * this consumer (their new owner runs them again).
 *
 * <p>An attempt with a heartbeat timeout counts as done for the offsets once its {@code STARTED} is
 * acknowledged, and that position is committed at the next loop rather than within the usual 200 ms
 * (docs/protocol.md, v2 item 16).
 */
public final class ActionConsumer implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ActionConsumer.class);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final long COMMIT_INTERVAL_MS = 200;
  private static final long WATCH_INTERVAL_NANOS = 5_000_000_000L;
  private static final Duration OFFSETS_TIMEOUT = Duration.ofSeconds(3);

  private final String action;
  private final String topic;
  private final Consumer<byte[], byte[]> consumer;
  private final JobDispatcher dispatcher;
  private final WorkerMetrics metrics;
  private final StallWatch watch;
  private final long watchIntervalNanos;
  private long nextWatch;
  private boolean receivedSinceWatch;
  private final Map<TopicPartition, PartitionOffsets> offsets = new HashMap<>();
  private final ArrayDeque<ConsumerRecord<byte[], byte[]>> waiting = new ArrayDeque<>();
  private volatile boolean running = true;
  private volatile long drainDeadline = Long.MAX_VALUE;
  private volatile boolean commitSoon;
  private long lastCommit = Long.MIN_VALUE / 2;

  public ActionConsumer(
      String action, String topic, Consumer<byte[], byte[]> consumer, JobDispatcher dispatcher) {
    this(action, topic, consumer, dispatcher, WorkerMetrics.NONE, Duration.ZERO);
  }

  /**
   * @param stallTimeout how long records may wait with a free slot and nothing fetched before the
   *     consumer says it is stalled (zero: never; the records-behind gauge is kept either way)
   */
  public ActionConsumer(
      String action,
      String topic,
      Consumer<byte[], byte[]> consumer,
      JobDispatcher dispatcher,
      WorkerMetrics metrics,
      Duration stallTimeout) {
    this.action = action;
    this.topic = topic;
    this.consumer = consumer;
    this.dispatcher = dispatcher;
    this.metrics = metrics;
    long timeout = stallTimeout.toNanos();
    this.watch = new StallWatch(timeout);
    this.watchIntervalNanos =
        timeout > 0 ? Math.min(WATCH_INTERVAL_NANOS, timeout / 3) : WATCH_INTERVAL_NANOS;
  }

  /**
   * Stop fetching; in-flight jobs get until {@code deadlineMillis} (of {@link Monotonic#millis()})
   * to become durable.
   */
  public void stop(long deadlineMillis) {
    drainDeadline = deadlineMillis;
    running = false;
  }

  /** Closes a consumer that was never {@link #run} (the worker stopped before starting jobs). */
  public void close() {
    consumer.close(Duration.ZERO);
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(topic), new Rebalance());
      log.info("consuming {} for action '{}'", topic, action);
      nextWatch = System.nanoTime() + watchIntervalNanos;
      while (running) {
        // While records wait for a handler slot, fetching is paused and the wait is for a slot.
        for (ConsumerRecord<byte[], byte[]> record :
            consumer.poll(waiting.isEmpty() ? POLL : Duration.ZERO)) {
          waiting.addLast(record);
          receivedSinceWatch = true;
        }
        watch();
        dispatchWaiting();
        commit(false);
        pauseWhileFull();
        if (!waiting.isEmpty()) {
          dispatcher.awaitSlot(POLL);
        }
      }
      drain();
    } finally {
      try {
        commit(true);
      } catch (KafkaException e) {
        log.warn("final commit for action '{}' failed: {}", action, e.toString());
      } finally {
        consumer.close(Duration.ofSeconds(5));
        log.info("consumer for action '{}' closed", action);
      }
    }
  }

  private void dispatchWaiting() {
    while (!waiting.isEmpty()) {
      ConsumerRecord<byte[], byte[]> record = waiting.peekFirst();
      TopicPartition partition = new TopicPartition(record.topic(), record.partition());
      PartitionOffsets tracker = offsets.computeIfAbsent(partition, p -> new PartitionOffsets());
      long offset = record.offset();
      if (!dispatcher.tryDispatch(record, () -> completion(tracker, offset))) {
        return;
      }
      waiting.removeFirst();
    }
  }

  private Completion completion(PartitionOffsets tracker, long offset) {
    tracker.track(offset);
    return new Completion() {
      @Override
      public void durable() {
        tracker.complete(offset);
      }

      @Override
      public void startedDurable() {
        tracker.complete(offset);
        commitSoon = true; // a crash now must not redeliver a heartbeating attempt
      }
    };
  }

  /**
   * At most every watch interval: the records behind in the assigned partitions (their end offsets
   * fresh from the broker, so a fetcher that stopped cannot hide behind a stale figure), and the
   * stall rule. A failed look-up skips this check; it never stops the consumer.
   */
  private void watch() {
    long now = System.nanoTime();
    if (now < nextWatch) {
      return;
    }
    nextWatch = now + watchIntervalNanos;
    boolean received = receivedSinceWatch;
    receivedSinceWatch = false;
    Set<TopicPartition> assigned = consumer.assignment();
    Map<Integer, Long> positions = new HashMap<>();
    Set<TopicPartition> lagging = new HashSet<>();
    long behind = 0;
    try {
      Map<TopicPartition, Long> ends =
          assigned.isEmpty() ? Map.of() : consumer.endOffsets(assigned, OFFSETS_TIMEOUT);
      for (TopicPartition partition : assigned) {
        Long end = ends.get(partition);
        if (end == null) {
          continue;
        }
        long position = consumer.position(partition, OFFSETS_TIMEOUT);
        positions.put(partition.partition(), position);
        if (end > position) {
          behind += end - position;
          lagging.add(partition);
        }
      }
    } catch (KafkaException e) {
      log.debug("action '{}': records behind not known now: {}", action, e.toString());
      return;
    }
    metrics.recordsBehind(action, behind);
    long at = System.nanoTime();
    boolean heldBack = !waiting.isEmpty() || !dispatcher.hasFreeSlot();
    switch (watch.observe(at, behind, positions, received, heldBack)) {
      case STALLED -> {
        metrics.stalled(action, true);
        log.warn(
            "action '{}': {} record(s) wait in assigned partition(s) {} but none was fetched for {}"
                + " s; the consumer is not making progress",
            action,
            behind,
            describe(lagging),
            watch.stallSeconds(at));
      }
      case RECOVERED -> {
        metrics.stalled(action, false);
        log.info("action '{}': fetching again after {} s", action, watch.stallSeconds(at));
      }
      case NONE -> {}
    }
  }

  private static String describe(Set<TopicPartition> partitions) {
    return partitions.stream()
        .sorted(Comparator.comparingInt(TopicPartition::partition))
        .map(p -> p.topic() + "-" + p.partition())
        .collect(Collectors.joining(", "));
  }

  private void pauseWhileFull() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (!waiting.isEmpty() || !running) {
      consumer.pause(assigned);
    } else if (!consumer.paused().isEmpty()) {
      consumer.resume(consumer.paused());
    }
  }

  /** Stopping: fetch nothing more, wait for in-flight jobs until the deadline. */
  private void drain() {
    waiting.clear();
    consumer.pause(consumer.assignment());
    while (inFlight() > 0 && Monotonic.millis() < drainDeadline) {
      consumer.poll(POLL); // keeps the group membership alive; partitions are paused
      consumer.pause(consumer.assignment());
      commit(false);
    }
    int left = inFlight();
    if (left > 0) {
      log.warn("action '{}': {} job(s) still running at the deadline; not committed", action, left);
    }
  }

  private int inFlight() {
    return offsets.values().stream().mapToInt(PartitionOffsets::pending).sum();
  }

  private void commit(boolean sync) {
    long now = Monotonic.millis();
    if (!sync && !commitSoon && now - lastCommit < COMMIT_INTERVAL_MS) {
      return;
    }
    lastCommit = now;
    commitSoon = false;
    Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
    Map<TopicPartition, PartitionOffsets> trackers = new HashMap<>();
    offsets.forEach(
        (partition, tracker) -> {
          OptionalLong position = sync ? tracker.storedPosition() : tracker.takeCommittable();
          position.ifPresent(
              p -> {
                positions.put(partition, new OffsetAndMetadata(p));
                trackers.put(partition, tracker);
              });
        });
    if (positions.isEmpty()) {
      return;
    }
    if (sync) {
      consumer.commitSync(positions);
    } else {
      consumer.commitAsync(
          positions,
          (committed, error) -> {
            if (error != null) {
              // Offered again at the next commit: a failed commit (the coordinator moved during a
              // broker restart) must not leave the group's offset behind until the next record.
              positions.forEach((p, o) -> trackers.get(p).commitFailed(o.offset()));
              log.warn(
                  "offset commit for action '{}' failed, retrying: {}", action, error.toString());
            }
          });
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      watch.reset();
      Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
      for (TopicPartition partition : partitions) {
        PartitionOffsets tracker = offsets.remove(partition);
        if (tracker != null) {
          tracker
              .storedPosition()
              .ifPresent(p -> positions.put(partition, new OffsetAndMetadata(p)));
        }
      }
      waiting.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
      if (!positions.isEmpty()) {
        try {
          consumer.commitSync(positions);
        } catch (KafkaException e) {
          log.warn("commit on revocation failed for action '{}': {}", action, e.toString());
        }
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      watch.reset();
      for (TopicPartition partition : partitions) {
        offsets.remove(partition);
      }
      waiting.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      watch.reset();
      if (!running) {
        consumer.pause(partitions);
      }
    }
  }
}
