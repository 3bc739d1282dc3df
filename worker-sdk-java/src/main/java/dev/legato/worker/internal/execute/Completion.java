package dev.legato.worker.internal.execute;

import java.util.concurrent.atomic.AtomicBoolean;

/** What becomes of one consumed record, reported from whichever thread saw it. */
public interface Completion {
  /** The record's result or dead letter is acknowledged by Kafka: its offset may be stored. */
  void durable();

  /**
   * The {@code STARTED} of an attempt with a heartbeat timeout is acknowledged: its offset may be
   * stored (docs/protocol.md, v2 item 16), and soon, since a crash must not redeliver it.
   */
  default void startedDurable() {
    durable();
  }

  /**
   * Passes on the first of the calls only (a heartbeating attempt reports STARTED, then a result).
   */
  static Completion once(Completion completion) {
    AtomicBoolean done = new AtomicBoolean();
    return new Completion() {
      @Override
      public void durable() {
        if (done.compareAndSet(false, true)) {
          completion.durable();
        }
      }

      @Override
      public void startedDurable() {
        if (done.compareAndSet(false, true)) {
          completion.startedDurable();
        }
      }
    };
  }
}
