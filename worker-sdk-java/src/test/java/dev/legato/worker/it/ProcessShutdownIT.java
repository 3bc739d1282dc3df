package dev.legato.worker.it;

import static dev.legato.worker.it.KafkaSupport.TIMEOUT;
import static dev.legato.worker.it.KafkaSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import dev.legato.protocol.ResultStatus;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SIGTERM to a real worker process (conformance/run-worker) with a job in flight. */
class ProcessShutdownIT {
  private KafkaSupport kafka;
  private Process process;

  @BeforeEach
  void connect() throws Exception {
    kafka = KafkaSupport.connect();
  }

  @AfterEach
  void close() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void sigtermDrainsTheJobInFlightAndExitsZero() throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(new File("conformance/run-worker").getAbsolutePath())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    Map<String, String> env = builder.environment();
    env.put("LEGATO_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap);
    env.put("LEGATO_JOBS_TOPIC", kafka.jobsTopic);
    env.put("LEGATO_RESULTS_TOPIC", kafka.resultsTopic);
    env.put("LEGATO_CONTROL_TOPIC", kafka.controlTopic);
    env.put("RUN_WORKER_BUILD", "never"); // mvn verify built it; never rebuild under its feet
    env.put("LEGATO_GROUP_PREFIX", kafka.groupPrefix);
    env.put("LEGATO_JOB_PARTITIONS", "1");
    env.put("LEGATO_WORKER_ID", kafka.prefix + "-process");
    env.put("LEGATO_LOG_LEVEL", "WARN");
    process = builder.start();

    Job job = kafka.job("slow", "{\"ms\": 1500}");
    CountDownLatch started = new CountDownLatch(1);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                  if (line.equals("STARTED " + job.getJobId())) {
                    started.countDown();
                  }
                }
              } catch (java.io.IOException e) {
                // the process went away
              }
            });
    reader.start();
    kafka.send(kafka.jobTopic("slow"), job);
    assertTrue(started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the slow job started");

    process.destroy(); // SIGTERM
    assertTrue(process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the worker exited");
    assertEquals(0, process.exitValue());

    Result result = kafka.awaitResult(job.getJobId());
    assertEquals(ResultStatus.COMPLETED, result.getStatus());
    assertEquals("{\"slept\":1500}", result.getOutput());
    await("offset committed", TIMEOUT, () -> committed("slow") == 1);
  }

  private long committed(String action) {
    try {
      return kafka.committedOffset(action);
    } catch (Exception e) {
      return -2;
    }
  }
}
