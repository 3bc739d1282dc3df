package dev.legato.worker.internal.execute;

import dev.legato.protocol.Progress;
import dev.legato.worker.internal.kafka.Publisher;
import java.util.Map;

/** Where an attempt's {@code Progress} records go (the results topic, through the publisher). */
public interface ProgressSink {
  /** Sends the record (never blocking on Kafka); {@code onAck} runs once Kafka has it. */
  void send(Progress progress, Runnable onAck);

  /**
   * {@link #send(Progress, Runnable)} with the attempt's trace context headers ({@code
   * traceparent}, {@code tracestate}); empty when not tracing.
   */
  default void send(Progress progress, Map<String, String> headers, Runnable onAck) {
    send(progress, onAck);
  }

  /** Drops everything: for an attempt run outside a worker (tests). */
  ProgressSink NONE = (progress, onAck) -> {};

  /** The results topic, through {@code publisher}. */
  static ProgressSink to(Publisher publisher) {
    return new ProgressSink() {
      @Override
      public void send(Progress progress, Runnable onAck) {
        publisher.publishProgress(progress, onAck);
      }

      @Override
      public void send(Progress progress, Map<String, String> headers, Runnable onAck) {
        publisher.publishProgress(progress, headers, onAck);
      }
    };
  }
}
