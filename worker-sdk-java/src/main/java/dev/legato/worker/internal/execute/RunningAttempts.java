package dev.legato.worker.internal.execute;

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

  /** Cancels the running executions of this jobId (normally at most one). */
  public void cancel(String jobId, String reason) {
    for (Attempt attempt : running) {
      if (attempt.jobId().equals(jobId)) {
        attempt.cancel(reason);
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
}
