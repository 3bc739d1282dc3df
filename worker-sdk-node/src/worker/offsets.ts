/**
 * At-least-once offset bookkeeping. A message's offset is "stored" only once its result (or DLT
 * copy) is acknowledged, and a partition's committable offset never passes a job still in flight.
 */

export interface CommitPosition {
  topic: string;
  partition: number;
  /** The next offset to consume: last finished contiguous offset + 1. */
  offset: bigint;
}

interface Entry {
  offset: bigint;
  done: boolean;
}

class PartitionOffsets {
  private readonly entries: Entry[] = [];
  private head = 0;
  /** Highest offset tracked so far. */
  last: bigint | undefined;
  /** Offset to commit next, once it differs from `committed`. */
  stored: bigint | undefined;
  committed: bigint | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get inFlight(): number {
    return this.entries.length - this.head;
  }

  track(offset: bigint): Entry {
    const entry = { offset, done: false };
    this.entries.push(entry);
    this.last = offset;
    return entry;
  }

  finish(entry: Entry): void {
    entry.done = true;
    while (this.head < this.entries.length && this.entries[this.head]?.done === true) {
      this.stored = (this.entries[this.head] as Entry).offset + 1n;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** A message being worked on; `finish()` once its outcome is durable in Kafka. */
export interface Ticket {
  finish(): void;
  /**
   * True while it holds back its partition's stored offset: not finished, and its partition not
   * forgotten since (a rebalance, a re-fetch from a lower offset).
   */
  readonly holding: boolean;
}

export class OffsetTracker {
  private partitions = new Map<string, PartitionOffsets>();

  /** Registers a message in read order. A lower or repeated offset means the partition was
   * re-fetched (rebalance, seek): older tickets of that partition no longer store anything. */
  track(topic: string, partition: number, offset: bigint): Ticket {
    const key = `${topic}\u0000${partition}`;
    let state = this.partitions.get(key);
    const last = state?.last;
    if (state === undefined || (last !== undefined && offset <= last)) {
      state = new PartitionOffsets(topic, partition);
      this.partitions.set(key, state);
    }
    const owner = state;
    const entry = owner.track(offset);
    const holding = (): boolean => !entry.done && this.partitions.get(key) === owner;
    return {
      finish: () => owner.finish(entry),
      get holding() {
        return holding();
      },
    };
  }

  /** Forgets every partition (after a rebalance): unfinished work is redelivered. */
  reset(): void {
    this.partitions = new Map();
  }

  /** Stored offsets that were not committed yet. */
  pendingCommits(): CommitPosition[] {
    const pending: CommitPosition[] = [];
    for (const state of this.partitions.values()) {
      if (state.stored !== undefined && state.stored !== state.committed) {
        pending.push({ topic: state.topic, partition: state.partition, offset: state.stored });
      }
    }
    return pending;
  }

  /** Records that `positions` were committed to Kafka. */
  markCommitted(positions: CommitPosition[]): void {
    for (const position of positions) {
      const state = this.partitions.get(`${position.topic}\u0000${position.partition}`);
      if (state !== undefined && (state.committed ?? -1n) < position.offset) {
        state.committed = position.offset;
      }
    }
  }

  inFlight(): number {
    let count = 0;
    for (const state of this.partitions.values()) count += state.inFlight;
    return count;
  }
}
