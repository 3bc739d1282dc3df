package dev.legato.worker.internal.execute;

/** What becomes of one consumed record, reported at most once from whichever thread saw it. */
public interface Completion {
  /** The record's result or dead letter is acknowledged by Kafka: its offset may be stored. */
  void durable();
}
