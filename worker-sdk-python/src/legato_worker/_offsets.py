"""At-least-once offset bookkeeping: which offset of each partition may be stored.

A consumer thread registers every message it hands on (`track`), in the order it received them.
Whoever finishes a message (the acknowledgement of its result or DLT copy, a Cancel, ...; any
thread) marks it done: an append to the partition's `finished` queue, nothing more. The consumer
thread folds those in, a batch at a time, when it asks what may be stored (`take_storable`). The
storable offset of a partition only moves past a contiguous run of done messages, so it never skips
a job still in flight, whatever order jobs finish in. An offset marked done twice counts once.
"""

from __future__ import annotations

import threading
from collections import deque


class PartitionOffsets:
    """The in-flight offsets of one assigned partition (one assignment generation)."""

    __slots__ = ("_done", "_finished", "_pending", "next_offset", "partition")

    def __init__(self, partition: int) -> None:
        self.partition = partition
        self.next_offset: int | None = None
        """Offset to store (last contiguous done offset + 1), None until the first one is done."""
        self._pending: deque[int] = deque()
        """Tracked offsets not yet storable, in arrival order (the consumer thread's)."""
        self._done: set[int] = set()
        """Done offsets still behind an earlier pending one (the consumer thread's)."""
        self._finished: deque[int] = deque()
        """Offsets marked done and not folded in yet: appended by any thread."""

    def track(self, offset: int) -> None:
        self._pending.append(offset)

    def done(self, offset: int) -> None:
        """Mark one tracked offset finished (thread-safe: a deque append)."""
        self._finished.append(offset)

    def advance(self) -> bool:
        """Fold the finished offsets in; True when `next_offset` moved. One thread at a time."""
        finished, pending, done = self._finished, self._pending, self._done
        while finished:
            offset = finished.popleft()
            if pending and offset >= pending[0]:  # else passed already: a second mark
                done.add(offset)
        if not pending or pending[0] not in done:
            return False
        last = pending.popleft()
        done.discard(last)
        while pending and pending[0] in done:
            last = pending.popleft()
            done.discard(last)
        self.next_offset = last + 1
        return True

    @property
    def in_flight(self) -> int:
        return len(self._pending)


class OffsetTracker:
    """Partition states of one consumer; rebuilt per partition on every (re)assignment.

    Assignments change on the consumer thread (rebalance callbacks run inside its poll), which is
    also the one that looks states up; the lock only keeps `take_storable` to one caller at a time
    (the consumer thread, or the final commit after it stopped)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._partitions: dict[int, PartitionOffsets] = {}

    def assign(self, partitions: list[int]) -> None:
        with self.lock:
            for partition in partitions:
                self._partitions[partition] = PartitionOffsets(partition)

    def revoke(self, partitions: list[int]) -> None:
        """Forget partitions; late completions on their old state objects are then ignored."""
        with self.lock:
            for partition in partitions:
                self._partitions.pop(partition, None)

    def get(self, partition: int) -> PartitionOffsets | None:
        """The state of an assigned partition; None for one this consumer does not own."""
        return self._partitions.get(partition)

    def owns(self, state: PartitionOffsets) -> bool:
        """Whether `state` is still the current assignment of its partition."""
        return self._partitions.get(state.partition) is state

    def take_storable(self) -> list[tuple[int, int]]:
        """(partition, offset to store) for every partition that advanced since the last call."""
        storable: list[tuple[int, int]] = []
        with self.lock:
            for partition, state in self._partitions.items():
                if state._finished and state.advance() and state.next_offset is not None:
                    storable.append((partition, state.next_offset))
        return storable

    def in_flight(self) -> int:
        """Tracked offsets not yet storable (running, or done behind one still running)."""
        with self.lock:
            return sum(s.in_flight for s in self._partitions.values())
