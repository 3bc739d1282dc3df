package dev.legato.worker.internal.execute;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The jobIds the orchestrator withdrew ({@code Cancel} records of the control topic, any action),
 * kept for 24 h: a withdrawn attempt is never started, and a running one is cancelled. Thread-safe.
 */
public final class Withdrawals {
  /** How long a withdrawal is remembered (the control topic's retention). */
  public static final long KEEP_MS = 24L * 60 * 60 * 1000;

  private final ConcurrentHashMap<String, Long> withdrawnAt = new ConcurrentHashMap<>();
  private final RunningAttempts running;

  public Withdrawals(RunningAttempts running) {
    this.running = running;
  }

  /**
   * A {@code Cancel} record: remembers the jobId (unless the withdrawal is over 24 h old), then
   * withdraws a running execution of it (signalled; no more progress; its offset counts as done).
   * In this order: the dispatcher registers an attempt before it checks {@link #isWithdrawn}, so a
   * {@code Cancel} read meanwhile reaches the check or the registered attempt, never neither.
   */
  public void withdraw(String jobId, String reason, long at, long now) {
    if (now - at < KEEP_MS) {
      withdrawnAt.merge(jobId, at, Math::max);
    }
    running.withdraw(jobId, reason);
  }

  public boolean isWithdrawn(String jobId) {
    return withdrawnAt.containsKey(jobId);
  }

  /** Forgets withdrawals older than 24 h. */
  public void prune(long now) {
    withdrawnAt.values().removeIf(at -> now - at >= KEEP_MS);
  }

  public int size() {
    return withdrawnAt.size();
  }
}
