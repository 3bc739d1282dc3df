"""At-least-once offset bookkeeping: which offset of each partition may be stored.

A consumer thread registers every message it hands on (`track`), in the order it received them.
Whoever finishes a message (the delivery callback of its result or DLT copy, on another thread)
marks it done. The storable offset of a partition only moves past a contiguous run of done
messages, so it never skips a job still in flight, whatever order jobs finish in.
"""

from __future__ import annotations

import threading
from collections import deque


class PartitionOffsets:
    """The in-flight offsets of one assigned partition (one assignment generation)."""

    __slots__ = ("_done", "_lock", "_pending", "_tracker", "next_offset", "partition")

    def __init__(self, tracker: OffsetTracker, partition: int) -> None:
        self.partition = partition
        self.next_offset: int | None = None
        """Offset to store (last contiguous done offset + 1), None until the first one is done."""
        self._tracker = tracker
        self._lock = tracker.lock
        self._pending: deque[int] = deque()
        self._done: set[int] = set()

    def track(self, offset: int) -> None:
        with self._lock:
            self._pending.append(offset)

    def done(self, offset: int) -> None:
        """Mark one tracked offset finished; may advance `next_offset`."""
        with self._lock:
            pending = self._pending
            if pending and pending[0] == offset:
                pending.popleft()
                last = offset
                done = self._done
                while pending and pending[0] in done:
                    last = pending.popleft()
                    done.discard(last)
                self.next_offset = last + 1
                self._tracker.mark_dirty(self)
            else:
                self._done.add(offset)


class OffsetTracker:
    """Partition states of one consumer; rebuilt per partition on every (re)assignment."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._partitions: dict[int, PartitionOffsets] = {}
        self._dirty: dict[int, PartitionOffsets] = {}

    def assign(self, partitions: list[int]) -> None:
        with self.lock:
            for partition in partitions:
                self._partitions[partition] = PartitionOffsets(self, partition)

    def revoke(self, partitions: list[int]) -> None:
        """Forget partitions; late completions on their old state objects are then ignored."""
        with self.lock:
            for partition in partitions:
                self._partitions.pop(partition, None)
                self._dirty.pop(partition, None)

    def get(self, partition: int) -> PartitionOffsets | None:
        """The state of an assigned partition; None for one this consumer does not own."""
        with self.lock:
            return self._partitions.get(partition)

    def owns(self, state: PartitionOffsets) -> bool:
        """Whether `state` is still the current assignment of its partition."""
        with self.lock:
            return self._partitions.get(state.partition) is state

    def mark_dirty(self, state: PartitionOffsets) -> None:
        """Called with the lock held by a partition whose `next_offset` advanced."""
        if self._partitions.get(state.partition) is state:
            self._dirty[state.partition] = state

    def take_storable(self) -> list[tuple[int, int]]:
        """(partition, offset to store) for every partition that advanced since the last call."""
        if not self._dirty:
            return []
        with self.lock:
            advanced = [(p, s.next_offset) for p, s in self._dirty.items() if s.next_offset is not None]
            self._dirty.clear()
        return advanced

    def in_flight(self) -> int:
        """Tracked offsets not yet storable (running, or done behind one still running)."""
        with self.lock:
            return sum(len(s._pending) for s in self._partitions.values())
