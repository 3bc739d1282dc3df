package dev.legato.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.legato.protocol.Job;
import dev.legato.worker.Worker;
import dev.legato.worker.internal.protocol.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throughput of no-op jobs through one worker process: {@code mvn verify -Dbench=true
 * [-Dbench.jobs=20000]}. Prints the figure; asserts only that every job got its result.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class NoopThroughputIT {
  @Test
  void noopJobsPerSecond() throws Exception {
    int jobs = Integer.getInteger("bench.jobs", 20_000);
    try (KafkaSupport kafka = KafkaSupport.connect()) {
      Worker worker = new Worker(kafka.settings().jobPartitions(6).concurrency(16).build());
      worker.register("noop", payload -> null);
      kafka.startInBackground(worker);
      Job warmUp = kafka.job("noop", "null");
      kafka.send(kafka.jobTopic("noop"), warmUp);
      kafka.awaitResult(warmUp.getJobId());

      MessageCodec codec = new MessageCodec();
      try (KafkaProducer<byte[], byte[]> producer = producer(kafka.bootstrap);
          KafkaConsumer<byte[], byte[]> results = consumer(kafka.bootstrap)) {
        TopicPartition partition = new TopicPartition(kafka.resultsTopic, 0);
        results.assign(List.of(partition));
        results.seekToEnd(List.of(partition));
        results.position(partition);

        long start = System.nanoTime();
        for (int i = 0; i < jobs; i++) {
          Job job = kafka.job("noop", "null");
          producer.send(
              new ProducerRecord<>(
                  kafka.jobTopic("noop"),
                  job.getRunId().getBytes(StandardCharsets.UTF_8),
                  codec.encodeJob(job)));
        }
        producer.flush();
        long produced = System.nanoTime();
        int seen = 0;
        long deadline = start + Duration.ofMinutes(2).toNanos();
        while (seen < jobs && System.nanoTime() < deadline) {
          seen += results.poll(Duration.ofMillis(100)).count();
        }
        long end = System.nanoTime();
        double seconds = (end - start) / 1e9;
        System.out.printf(
            "BENCH java noop: %d jobs in %.2f s = %.0f jobs/s (producing took %.2f s)%n",
            seen, seconds, seen / seconds, (produced - start) / 1e9);
        assertEquals(jobs, seen, "every job got a result");
      }
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.LINGER_MS_CONFIG, 5,
            ProducerConfig.BATCH_SIZE_CONFIG, 65536),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false),
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }
}
