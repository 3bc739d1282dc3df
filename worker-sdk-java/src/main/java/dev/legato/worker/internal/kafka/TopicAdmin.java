package dev.legato.worker.internal.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates job topics that do not exist yet (idempotent: an existing topic is left alone). */
public final class TopicAdmin {
  private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);

  private TopicAdmin() {}

  /**
   * Creates the topics with {@code partitions} partitions and the broker's default replication.
   *
   * @throws IllegalStateException if Kafka does not answer within {@code timeout}
   */
  public static void ensureTopics(
      Admin admin, Collection<String> topics, int partitions, Duration timeout) {
    List<NewTopic> requests = new ArrayList<>();
    for (String topic : topics) {
      requests.add(new NewTopic(topic, Optional.of(partitions), Optional.empty()));
    }
    CreateTopicsOptions options = new CreateTopicsOptions().timeoutMs((int) timeout.toMillis());
    Map<String, KafkaFuture<Void>> results = admin.createTopics(requests, options).values();
    for (Map.Entry<String, KafkaFuture<Void>> entry : results.entrySet()) {
      try {
        entry.getValue().get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        log.info("created topic {} with {} partitions", entry.getKey(), partitions);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException(
              "cannot create topic "
                  + entry.getKey()
                  + ": "
                  + e.getCause()
                  + " (is Kafka running? set LEGATO_KAFKA_BOOTSTRAP_SERVERS)",
              e.getCause());
        }
      } catch (TimeoutException e) {
        throw new IllegalStateException(
            "cannot reach Kafka to create "
                + entry.getKey()
                + " (is it running? set LEGATO_KAFKA_BOOTSTRAP_SERVERS)",
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted creating " + entry.getKey(), e);
      }
    }
  }
}
