package dev.legato.worker.internal.execute;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The attempts whose handlers run in this worker: what a cancellation or the timer reaches. */
public final class RunningAttempts {
  private final Set<Attempt> running = ConcurrentHashMap.newKeySet();

  void add(Attempt attempt) {
    running.add(attempt);
  }

  void remove(Attempt attempt) {
    running.remove(attempt);
    if (running.isEmpty()) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /** Waits at most {@code millis} for no execution to be running. */
  public void awaitEmpty(long millis) throws InterruptedException {
    synchronized (this) {
      if (!running.isEmpty()) {
        wait(millis);
      }
    }
  }

  /**
   * A {@code Cancel} for this jobId: withdraws its running executions (normally at most one; see
   * {@link Attempt#withdraw}).
   */
  public void withdraw(String jobId, String reason) {
    for (Attempt attempt : running) {
      if (attempt.jobId().equals(jobId)) {
        attempt.withdraw(reason);
      }
    }
  }

  /** Cancels every running execution. */
  public void cancelAll(String reason) {
    running.forEach(a -> a.cancel(reason));
  }

  /** The timer: lazy STARTED, coalesced heartbeats that are due, start-to-close cancellations. */
  public void tick(long now) {
    running.forEach(a -> a.tick(now));
  }

  public int size() {
    return running.size();
  }

  public boolean isEmpty() {
    return running.isEmpty();
  }

  /**
   * Whether every running execution was withdrawn (none, included): nothing the worker's shutdown
   * waits for. A withdrawn attempt pins nothing; its late result is ignored upstream.
   */
  public boolean onlyWithdrawn() {
    for (Attempt attempt : running) {
      if (!attempt.isWithdrawn()) {
        return false;
      }
    }
    return true;
  }

  /** How many running executions were not withdrawn. */
  public int activeCount() {
    int count = 0;
    for (Attempt attempt : running) {
      if (!attempt.isWithdrawn()) {
        count++;
      }
    }
    return count;
  }

  /** The executions running now (a snapshot). */
  List<Attempt> snapshot() {
    return List.copyOf(running);
  }
}
