package dev.legato.worker.internal.consume;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The in-order offset bookkeeping of one partition: offsets are tracked in consumption order and
 * completed in any order; the committable position never passes an offset still in flight.
 * Thread-safe (completions arrive from producer and handler threads).
 */
public final class PartitionOffsets {
  private final ArrayDeque<Long> inFlight = new ArrayDeque<>();
  private final Set<Long> done = new HashSet<>();
  private long stored = -1;
  private long committed = -1;

  /** Records an offset handed out for processing; offsets must be tracked in increasing order. */
  public synchronized void track(long offset) {
    Long last = inFlight.peekLast();
    if ((last != null && offset <= last) || offset < stored) {
      throw new IllegalArgumentException("offset " + offset + " tracked out of order");
    }
    inFlight.addLast(offset);
  }

  /** Marks an offset's outcome durable. */
  public synchronized void complete(long offset) {
    done.add(offset);
    while (!inFlight.isEmpty() && done.remove(inFlight.peekFirst())) {
      stored = inFlight.removeFirst() + 1;
    }
  }

  /** How many tracked offsets are not durable yet. */
  public synchronized int pending() {
    return inFlight.size();
  }

  /** The first offset not durable yet: where to resume if the in-flight work is lost. */
  public synchronized OptionalLong resumePosition() {
    if (!inFlight.isEmpty()) {
      return OptionalLong.of(inFlight.peekFirst());
    }
    return stored >= 0 ? OptionalLong.of(stored) : OptionalLong.empty();
  }

  /**
   * The position to commit (next offset to consume) if it moved since the last call that returned
   * one; empty otherwise.
   */
  public synchronized OptionalLong takeCommittable() {
    if (stored < 0 || stored == committed) {
      return OptionalLong.empty();
    }
    committed = stored;
    return OptionalLong.of(stored);
  }

  /**
   * A commit of {@code position} failed (e.g. the group coordinator moved): the next {@link
   * #takeCommittable} offers it again, unless a later position was taken meanwhile.
   */
  public synchronized void commitFailed(long position) {
    if (committed == position) {
      committed = -1;
    }
  }

  /** The position to commit regardless of what was committed before (for a final commit). */
  public synchronized OptionalLong storedPosition() {
    return stored >= 0 ? OptionalLong.of(stored) : OptionalLong.empty();
  }
}
