package dev.legato.worker.internal.execute;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Set;

/**
 * The jobIds whose attempts run in this worker now or ended in it within the hour: the orchestrator
 * may publish a job twice, and a copy of one of these is not started (docs/protocol.md, v2 item
 * 17). The ended ones are kept in the order they ended, which is the order they are forgotten in:
 * after {@link #KEEP_MS}, or sooner, oldest first, beyond {@link #MAX_ENDED}. Times are of the
 * monotonic clock (ms). Thread-safe.
 */
public final class RecentJobs {
  /** How long the jobId of an ended attempt is remembered. */
  public static final long KEEP_MS = 60L * 60 * 1000;

  /** At most this many ended jobIds are remembered. */
  public static final int MAX_ENDED = 10_000;

  private final Set<String> running = new HashSet<>();

  /** jobId -> when it is forgotten, in the order the attempts ended. */
  private final LinkedHashMap<String, Long> ended = new LinkedHashMap<>();

  /**
   * An attempt of {@code jobId} is about to start: false if the jobId runs here or ended here
   * within the hour (a copy: not started), else true, and the jobId counts as running until {@link
   * #end} or {@link #abandon}.
   */
  synchronized boolean begin(String jobId, long now) {
    if (running.contains(jobId)) {
      return false;
    }
    Long forgetAt = ended.get(jobId);
    if (forgetAt != null) {
      if (now < forgetAt) {
        return false;
      }
      ended.remove(jobId);
    }
    running.add(jobId);
    return true;
  }

  /**
   * The attempt begun for {@code jobId} ended, in any way (its result sent or dropped, or skipped):
   * the jobId is remembered for {@link #KEEP_MS}.
   */
  synchronized void end(String jobId, long now) {
    running.remove(jobId);
    ended.remove(jobId); // a re-inserted key would keep its old place in the order
    ended.put(jobId, now + KEEP_MS);
    prune(now);
  }

  /** The attempt begun for {@code jobId} never started (the worker is stopping): not remembered. */
  synchronized void abandon(String jobId) {
    running.remove(jobId);
  }

  /** Forgets the ended jobIds whose time has passed, and the oldest beyond {@link #MAX_ENDED}. */
  public synchronized void prune(long now) {
    Iterator<Long> forgetAt = ended.values().iterator();
    while (forgetAt.hasNext()) {
      if (now < forgetAt.next() && ended.size() <= MAX_ENDED) {
        return;
      }
      forgetAt.remove();
    }
  }

  /** How many ended jobIds are remembered. */
  public synchronized int endedCount() {
    return ended.size();
  }
}
