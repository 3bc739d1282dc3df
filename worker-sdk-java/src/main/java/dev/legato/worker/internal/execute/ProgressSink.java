package dev.legato.worker.internal.execute;

import dev.legato.protocol.Progress;

/** Where an attempt's {@code Progress} records go (the results topic, through the publisher). */
public interface ProgressSink {
  /** Sends the record (never blocking on Kafka); {@code onAck} runs once Kafka has it. */
  void send(Progress progress, Runnable onAck);

  /** Drops everything: for an attempt run outside a worker (tests). */
  ProgressSink NONE = (progress, onAck) -> {};
}
