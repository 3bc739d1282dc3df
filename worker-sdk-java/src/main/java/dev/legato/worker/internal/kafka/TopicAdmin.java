package dev.legato.worker.internal.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics that do not exist yet. Lists the topics first and asks to create only the
 * missing ones, so a worker needs no CREATE permission when the topics exist.
 */
public final class TopicAdmin {
  private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);

  private TopicAdmin() {}

  /**
   * Creates the missing topics with {@code partitions} partitions and the broker's default
   * replication factor. A topic created meanwhile by someone else is fine.
   *
   * @return the topics this call created
   * @throws IllegalStateException if Kafka does not answer within {@code timeout} or refuses
   */
  public static List<String> ensureTopics(
      Admin admin, Collection<String> topics, int partitions, Duration timeout) {
    List<NewTopic> wanted = new ArrayList<>();
    for (String topic : topics) {
      wanted.add(new NewTopic(topic, Optional.of(partitions), Optional.empty()));
    }
    return ensure(admin, wanted, timeout);
  }

  /**
   * The control topic (docs/protocol.md, v2 item 11): one partition, {@code retention.ms} 24 h,
   * created if missing.
   *
   * @return whether this call created it
   */
  public static boolean ensureControlTopic(Admin admin, String topic, Duration timeout) {
    NewTopic control =
        new NewTopic(topic, Optional.of(1), Optional.empty())
            .configs(Map.of("retention.ms", Long.toString(CONTROL_RETENTION_MS)));
    return !ensure(admin, List.of(control), timeout).isEmpty();
  }

  /** The control topic's retention: every worker knows the withdrawals of the last day. */
  public static final long CONTROL_RETENTION_MS = 86_400_000L;

  private static List<String> ensure(Admin admin, List<NewTopic> wanted, Duration timeout) {
    Set<String> existing =
        await(
            admin.listTopics(new ListTopicsOptions().timeoutMs(millis(timeout))).names(),
            "list topics",
            timeout);
    List<NewTopic> requests = new ArrayList<>();
    for (NewTopic topic : wanted) {
      if (!existing.contains(topic.name())) {
        requests.add(topic);
      }
    }
    List<String> created = new ArrayList<>();
    if (requests.isEmpty()) {
      return created;
    }
    CreateTopicsOptions options = new CreateTopicsOptions().timeoutMs(millis(timeout));
    Map<String, KafkaFuture<Void>> results = admin.createTopics(requests, options).values();
    for (NewTopic request : requests) {
      try {
        await(results.get(request.name()), "create topic " + request.name(), timeout);
        log.info("created topic {} with {} partitions", request.name(), request.numPartitions());
        created.add(request.name());
      } catch (IllegalStateException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
    return created;
  }

  private static <T> T await(Future<T> future, String what, Duration timeout) {
    try {
      return future.get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot "
              + what
              + ": "
              + e.getCause()
              + " (is Kafka running? set LEGATO_KAFKA_BOOTSTRAP_SERVERS and the"
              + " LEGATO_KAFKA_SECURITY_* settings; LEGATO_CREATE_TOPICS=false skips topic"
              + " creation)",
          e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "cannot reach Kafka to " + what + " (is it running? set LEGATO_KAFKA_BOOTSTRAP_SERVERS)",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + what, e);
    }
  }

  private static int millis(Duration timeout) {
    return (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
  }
}
