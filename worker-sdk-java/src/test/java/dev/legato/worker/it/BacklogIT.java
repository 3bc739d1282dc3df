package dev.legato.worker.it;

import static dev.legato.worker.it.KafkaSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import dev.legato.worker.JobContext;
import dev.legato.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A backlog of long jobs, much longer in total than max.poll.interval.ms: the consumer keeps
 * polling (partitions paused) while every slot is busy, so it is never evicted and every job runs
 * exactly once.
 */
class BacklogIT {
  private static final int JOBS = 8;
  private static final long JOB_MS = 1_500;
  private KafkaSupport kafka;

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

  @Test
  void longJobsBeyondTheMaxPollIntervalRunExactlyOnce() throws Exception {
    kafka.createTopics(List.of(kafka.jobTopic("long")), 2);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < JOBS; i++) {
      Job job = kafka.job("long", "{\"i\":" + i + "}");
      jobs.add(job);
      kafka.send(kafka.jobTopic("long"), job);
    }
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    Worker worker =
        new Worker(
            kafka.settings().concurrency(2).maxPollInterval(Duration.ofMillis(2_000)).build());
    worker.register(
        "long",
        payload -> {
          runs.computeIfAbsent(JobContext.current().jobId(), id -> new AtomicInteger())
              .incrementAndGet();
          Thread.sleep(JOB_MS);
          return payload;
        });
    kafka.startInBackground(worker);

    // 8 jobs x 1.5 s on 2 slots = 6 s, three times max.poll.interval.ms.
    List<Result> results =
        kafka.awaitResults(jobs.stream().map(Job::getJobId).toList(), Duration.ofSeconds(60));
    for (Result result : results) {
      assertEquals(ResultStatus.COMPLETED, result.getStatus());
    }
    await("all offsets committed", Duration.ofSeconds(30), () -> committedTotal() == JOBS);
    assertEquals(JOBS, runs.size());
    runs.forEach((jobId, count) -> assertEquals(1, count.get(), "job " + jobId + " ran once"));
    assertEquals(JOBS, kafka.resultsSoFar().size(), "one result per job");
  }

  private long committedTotal() {
    try {
      return kafka.committedOffset("long", 0) + kafka.committedOffset("long", 1);
    } catch (Exception e) {
      return -2;
    }
  }
}
