package dev.legato.worker.internal.execute;

/** What becomes of one consumed record, reported once from whichever thread saw it. */
public interface Completion {
  /** The record's result or dead letter is acknowledged by Kafka: its offset may be stored. */
  void durable();

  /** Nothing durable was written for the record: it must be consumed again. */
  void lost(Exception cause);
}
