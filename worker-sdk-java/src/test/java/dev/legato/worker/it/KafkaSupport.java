package dev.legato.worker.it;

import static org.junit.jupiter.api.Assertions.fail;

import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.worker.TestBridge;
import dev.legato.worker.Worker;
import dev.legato.worker.WorkerSettings;
import dev.legato.worker.internal.kafka.KafkaSecurity;
import dev.legato.worker.internal.protocol.DecodeException;
import dev.legato.worker.internal.protocol.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Assumptions;

/**
 * Real Kafka for integration tests (never mocked), with topics and groups under a unique prefix per
 * test. Kafka down: the test is skipped on a laptop and FAILS when the CI variable is set.
 */
final class KafkaSupport implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final MessageCodec CODEC = new MessageCodec();
  private static volatile Exception unreachable;

  /**
   * The LEGATO_KAFKA_SECURITY_* settings of the environment (e.g. from .legato/kafka-client.env of
   * a SASL_SSL stack): every client of the tests, and every worker they start, uses them.
   */
  static final WorkerSettings SECURITY = WorkerSettings.fromEnv();

  /** A kafka-clients configuration for the test's own clients, with the security settings. */
  static Map<String, Object> clientConfig(String bootstrap, Map<String, Object> extra) {
    Map<String, Object> config = new HashMap<>(extra);
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    KafkaSecurity.apply(TestBridge.kafkaSecurity(SECURITY), config);
    return config;
  }

  final String bootstrap;
  final String prefix;
  final String jobsTopic;
  final String resultsTopic;
  final String controlTopic;
  final String dltTopic;
  final String groupPrefix;
  private final Admin admin;
  private final KafkaProducer<byte[], byte[]> producer;
  private final List<Worker> workers = new ArrayList<>();
  private final List<Thread> workerThreads = new ArrayList<>();

  private KafkaSupport(String bootstrap, Admin admin) {
    this.bootstrap = bootstrap;
    this.admin = admin;
    this.prefix = "it-" + UUID.randomUUID().toString().substring(0, 8);
    this.jobsTopic = prefix + ".workflow-jobs";
    this.resultsTopic = prefix + ".workflow-results";
    this.controlTopic = prefix + ".workflow-control";
    this.dltTopic = jobsTopic + ".DLT";
    this.groupPrefix = prefix + ".legato-workers";
    this.producer =
        new KafkaProducer<>(
            clientConfig(
                bootstrap,
                Map.of(
                    ProducerConfig.LINGER_MS_CONFIG,
                    1,
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                    2_000_000)),
            new ByteArraySerializer(),
            new ByteArraySerializer());
  }

  /** Connects, or skips (laptop) / fails (CI) when Kafka is not reachable. */
  static KafkaSupport connect() throws Exception {
    String bootstrap =
        Optional.ofNullable(System.getenv("LEGATO_KAFKA_BOOTSTRAP_SERVERS"))
            .filter(s -> !s.isBlank())
            .orElse("localhost:9092");
    Admin admin =
        Admin.create(
            clientConfig(
                bootstrap,
                Map.of(
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000)));
    try {
      if (unreachable != null) {
        throw unreachable;
      }
      admin.describeCluster().clusterId().get(16, TimeUnit.SECONDS);
    } catch (Exception e) {
      unreachable = e; // asked once per test JVM
      admin.close(Duration.ZERO);
      String why = "Kafka is not reachable at " + bootstrap + " (" + e + ")";
      String ci = System.getenv("CI");
      if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
        fail(why + "; CI is set, so this fails instead of skipping");
      }
      Assumptions.abort(why + "; set CI=true to make this a failure");
    }
    KafkaSupport kafka = new KafkaSupport(bootstrap, admin);
    kafka.createTopics(List.of(kafka.resultsTopic, kafka.dltTopic, kafka.controlTopic), 1);
    return kafka;
  }

  WorkerSettings.Builder settings() {
    return SECURITY.toBuilder()
        .bootstrapServers(bootstrap)
        .jobsTopic(jobsTopic)
        .resultsTopic(resultsTopic)
        .controlTopic(controlTopic)
        .groupPrefix(groupPrefix)
        .jobPartitions(1)
        .workerId(prefix + "-worker")
        .concurrency(4)
        .shutdownTimeout(Duration.ofSeconds(10));
  }

  String jobTopic(String action) {
    return jobsTopic + "." + action;
  }

  void createTopics(List<String> topics, int partitions) throws Exception {
    List<NewTopic> requests =
        topics.stream().map(t -> new NewTopic(t, partitions, (short) 1)).toList();
    admin.createTopics(requests).all().get(30, TimeUnit.SECONDS);
  }

  /** Runs the worker's blocking start() on a thread; stopped in close(). */
  Thread startInBackground(Worker worker) {
    Thread thread = new Thread(worker::start, "test-worker-" + workers.size());
    workers.add(worker);
    workerThreads.add(thread);
    thread.start();
    return thread;
  }

  Job job(String action, String payloadJson) {
    return Job.newBuilder()
        .setJobId(UUID.randomUUID().toString())
        .setRunId(UUID.randomUUID().toString())
        .setStepId("0")
        .setAttempt(1)
        .setAction(action)
        .setPayload(payloadJson)
        .setWorkflowId("it-workflow")
        .setWorkflowVersion(1)
        .setQueue(jobTopic(action))
        .setTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .setCorrelationId("corr-" + prefix)
        .setCreatedAt(System.currentTimeMillis())
        .build();
  }

  void send(String topic, Job job) throws Exception {
    sendRaw(topic, job.getRunId(), CODEC.encodeJob(job));
  }

  void sendRaw(String topic, String key, byte[] value) throws Exception {
    producer
        .send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value))
        .get(30, TimeUnit.SECONDS);
  }

  /** Reads the topic from the beginning until {@code count} records match, or fails. */
  List<ConsumerRecord<byte[], byte[]>> awaitRecords(
      String topic, int count, Predicate<ConsumerRecord<byte[], byte[]>> match, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = reader()) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (found.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (match.test(record)) {
            found.add(record);
          }
        }
      }
    }
    if (found.size() < count) {
      fail("expected " + count + " matching records on " + topic + ", got " + found.size());
    }
    return found;
  }

  Result awaitResult(String jobId) {
    return awaitResults(List.of(jobId), TIMEOUT).get(0);
  }

  List<Result> awaitResults(List<String> jobIds, Duration timeout) {
    List<Result> results = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        awaitRecords(resultsTopic, jobIds.size(), r -> jobIds.contains(jobId(r)), timeout)) {
      results.add(decodeResult(r.value()));
    }
    return results;
  }

  /** All results on the topic, right now. */
  List<Result> resultsSoFar() {
    List<Result> results = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = reader()) {
      TopicPartition partition = new TopicPartition(resultsTopic, 0);
      consumer.assign(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      consumer.seekToBeginning(List.of(partition));
      while (consumer.position(partition) < end) {
        consumer.poll(Duration.ofMillis(100)).forEach(r -> results.addAll(resultIn(r)));
      }
    }
    return results;
  }

  /** The committed position of a worker group on partition 0 of the action's topic, or -1. */
  long committedOffset(String action) throws Exception {
    return committedOffset(action, 0);
  }

  /** The committed position of a worker group on a partition of the action's topic, or -1. */
  long committedOffset(String action, int partitionNumber) throws Exception {
    TopicPartition partition = new TopicPartition(jobTopic(action), partitionNumber);
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin
            .listConsumerGroupOffsets(groupPrefix + "." + action)
            .partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS);
    OffsetAndMetadata offset = offsets.get(partition);
    return offset == null ? -1 : offset.offset();
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + what);
      }
    }
  }

  /** The jobId of a Result record; "" for a Progress record (protocol v2). */
  private String jobId(ConsumerRecord<byte[], byte[]> record) {
    return resultIn(record).stream().map(Result::getJobId).findFirst().orElse("");
  }

  private static List<Result> resultIn(ConsumerRecord<byte[], byte[]> record) {
    try {
      return CODEC.decodeResultsRecord(record.value()) instanceof Result result
          ? List.of(result)
          : List.of();
    } catch (DecodeException e) {
      throw new AssertionError("a worker wrote an undecodable record", e);
    }
  }

  private static Result decodeResult(byte[] bytes) {
    try {
      return CODEC.decodeResult(bytes);
    } catch (DecodeException e) {
      throw new AssertionError("a worker wrote an undecodable result", e);
    }
  }

  private KafkaConsumer<byte[], byte[]> reader() {
    return new KafkaConsumer<>(
        clientConfig(bootstrap, Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)),
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  @Override
  public void close() throws Exception {
    for (Worker worker : workers) {
      worker.stop();
    }
    for (Thread thread : workerThreads) {
      thread.join(TIMEOUT.toMillis());
    }
    producer.close(Duration.ofSeconds(5));
    try {
      List<String> topics =
          admin.listTopics().names().get(10, TimeUnit.SECONDS).stream()
              .filter(t -> t.startsWith(prefix))
              .toList();
      admin.deleteTopics(topics).all().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // best effort: a leftover test topic is harmless
    } finally {
      admin.close(Duration.ofSeconds(5));
    }
  }
}
