package dev.legato.worker.internal.kafka;

import dev.legato.worker.internal.protocol.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The Kafka client configurations of docs/protocol.md "Worker behaviour", step 1. */
public final class KafkaClients {
  /** What the clients are configured from (the worker's settings). */
  public record Config(
      String bootstrapServers,
      String workerId,
      String groupPrefix,
      int concurrency,
      int maxPayloadBytes,
      Duration sessionTimeout,
      Duration maxPollInterval,
      KafkaSecurity.Settings security) {}

  private final Config settings;
  private final String clientId;

  public KafkaClients(Config settings, String language) {
    this.settings = settings;
    this.clientId = "legato-" + language + "-" + settings.workerId();
  }

  /**
   * Idempotent producer, acks=all, no linger: a lone result is sent at once, and under load records
   * still share requests while earlier ones are in flight (docs/protocol.md, "Worker behaviour").
   */
  public Producer<byte[], byte[]> producer() {
    Map<String, Object> config = common();
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    // Room for the largest output allowed plus the rest of the result; the broker's own limit
    // (message.max.bytes) still applies, and a result it refuses becomes a ResultTooLarge.
    config.put(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        Math.max(1_048_576, settings.maxPayloadBytes() + 256 * 1024));
    return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * A consumer in group {@code <prefix>.<action>}. Java has no offset store: the worker commits the
   * offsets it stores itself, which is what {@code enable.auto.commit=true} with {@code
   * enable.auto.offset.store=false} means for the librdkafka-based SDKs.
   */
  public Consumer<byte[], byte[]> consumer(String action) {
    Map<String, Object> config = common();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, Topics.workerGroup(settings.groupPrefix(), action));
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Shared by every SDK so mixed-language fleets can form one group (docs/protocol.md).
    config.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RoundRobinAssignor.class.getName());
    int session = (int) Math.min(Integer.MAX_VALUE, settings.sessionTimeout().toMillis());
    config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, session);
    config.put(
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.max(1, Math.min(1_000, session / 3)));
    config.put(
        ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
        (int) Math.min(Integer.MAX_VALUE, settings.maxPollInterval().toMillis()));
    // As in every SDK (docs/protocol.md "Worker behaviour"): a fetch returns as soon as one byte
    // is there, and waits at most 500 ms at the broker when there is nothing to fetch (the
    // client's defaults, stated: 100 ms cost 10-25 % of the no-op throughput and bought no
    // lone-job latency). The client always sets TCP_NODELAY.
    config.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
    config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500);
    // The topic's metadata is asked again every 10 s (the client's default: 5 minutes), so added
    // partitions, or a new topic a broker did not know yet when the group formed, get a consumer
    // within seconds (conformance test_added_partitions).
    config.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 10_000);
    // A poll hands over at most one slot's worth per handler: the records beyond the free slots
    // wait (paused) in a buffer of at most this size, dropped if the partition is revoked.
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.concurrency());
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * The reader of the control topic: no consumer group, no commits, no topic auto-creation; the
   * worker assigns itself every partition and seeks to the beginning.
   */
  public Consumer<byte[], byte[]> controlConsumer() {
    Map<String, Object> config = common();
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-control");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  public Admin admin() {
    Map<String, Object> config = common();
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId + "-admin");
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    return Admin.create(config);
  }

  private Map<String, Object> common() {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    KafkaSecurity.apply(settings.security(), config);
    return config;
  }
}
