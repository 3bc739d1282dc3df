"""Consumer offsets of applied results only: explicit per-partition commits, never positions.

`consumer.commit()` without offsets commits what has been *consumed*, including a batch that is
still failing. The engine instead records, after each applied (or dead-lettered) message, the
next offset of its partition, and commits exactly those, also when partitions are revoked.
"""

import logging

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

log = logging.getLogger(__name__)

Partition = tuple[str, int]


class AppliedOffsets:
    def __init__(self) -> None:
        self._applied: dict[Partition, int] = {}
        self._committed: dict[Partition, int] = {}
        self.assigned: set[Partition] = set()

    def applied(self, msgs: list[Message]) -> None:
        for m in msgs:
            if m.error() is None:
                key = (m.topic() or "", m.partition() or 0)
                if key not in self.assigned:
                    continue  # revoked meanwhile: its new owner commits it
                self._applied[key] = max(self._applied.get(key, 0), (m.offset() or 0) + 1)

    def applied_offsets(self) -> dict[Partition, int]:
        """The next offset after the last applied result, per partition this engine owns (callable
        from another thread: both are copied first, each copy atomic under the GIL)."""
        applied, assigned = dict(self._applied), set(self.assigned)
        return {p: o for p, o in applied.items() if p in assigned}

    def pending(self) -> bool:
        return any(self._committed.get(p) != o for p, o in self._applied.items() if p in self.assigned)

    def commit(self, consumer: Consumer, synchronous: bool, only: set[Partition] | None = None) -> None:
        due = {
            p: o
            for p, o in self._applied.items()
            if p in self.assigned and self._committed.get(p) != o and (only is None or p in only)
        }
        if not due:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in due.items()]
        try:
            if synchronous:
                consumer.commit(offsets=offsets, asynchronous=False)
            else:
                consumer.commit(offsets=offsets, asynchronous=True)
        except KafkaException as exc:  # e.g. a rebalance in progress: the next commit carries them
            log.warning("offset commit failed, will retry: %s", exc)
            return
        self._committed.update(due)

    # Rebalance callbacks (called by librdkafka from inside poll/consume, between our batches).
    def on_assign(self, _: Consumer, partitions: list[TopicPartition]) -> None:
        self.assigned |= {(tp.topic, tp.partition) for tp in partitions}

    def on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        self.commit(consumer, synchronous=True, only=revoked)
        self._forget(revoked)

    def on_lost(self, _: Consumer, partitions: list[TopicPartition]) -> None:
        self._forget({(tp.topic, tp.partition) for tp in partitions})

    def _forget(self, partitions: set[Partition]) -> None:
        self.assigned -= partitions
        for p in partitions:
            self._applied.pop(p, None)
            self._committed.pop(p, None)
