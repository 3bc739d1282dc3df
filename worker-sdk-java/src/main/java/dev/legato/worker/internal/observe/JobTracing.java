package dev.legato.worker.internal.observe;

import dev.legato.protocol.Job;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Starts the {@code process} span of each attempt (docs/observability.md, "Spans"). {@link #NONE}
 * when tracing is off: no OpenTelemetry class is loaded, no header read or written.
 */
public interface JobTracing {
  /** The span of the attempt the record asks for, started now; its parent is the job's context. */
  JobSpan start(ConsumerRecord<byte[], byte[]> record, Job job);

  /** Exports the spans ended so far (the worker is stopping). */
  void flush();

  /** Tracing off. */
  JobTracing NONE =
      new JobTracing() {
        @Override
        public JobSpan start(ConsumerRecord<byte[], byte[]> record, Job job) {
          return JobSpan.NONE;
        }

        @Override
        public void flush() {}
      };
}
