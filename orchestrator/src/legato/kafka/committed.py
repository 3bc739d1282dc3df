"""Committed offsets of consumer groups, read the way a member of the group reads them.

Never with the admin API's ListConsumerGroupOffsets: when its answer is NOT_COORDINATOR (a group
coordinator not ready yet, or moved), librdkafka asks the client's own consumer group to look the
coordinator up again, and an admin client has none: a NULL dereference that kills the process
(SIGSEGV in rd_kafka_cgrp_op, librdkafka issue #5040, open in 2.16 and older; docs/failure-handling.md).

A consumer that carries the group's `group.id` has that group handle. It never subscribes, so it
never joins the group and is never one of its members; `committed()` asks the group's coordinator
(OffsetFetch), and a coordinator that moved is looked up again by the consumer's group handle.

Such a consumer is cheap to open (milliseconds) and to keep (4 idle threads and about 0.6 MB each,
measured) and slow to close: closing waits up to a second for librdkafka's broker threads to wake.
So consumers stay open for the MAX_OPEN groups read last (one per action the engine samples), and
one evicted beyond that is closed by a thread of its own (kafka.closing), never by the reader: a
reader reading more groups than MAX_OPEN in turns is slowed by closing only when a backlog of
consumers already waits to be closed (then it closes one itself, and its own time budget bounds it).
"""

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from legato.kafka.closing import Closer

MAX_OPEN = 256  # consumers kept open (the groups read last); a group beyond gets one again when read


class GroupOffsets:
    """Reads committed offsets through one non-member consumer per group (thread-safe)."""

    def __init__(self, connection: Mapping[str, Any], max_open: int = MAX_OPEN) -> None:
        self._connection = dict(connection)
        self._max_open = max_open
        self._open: OrderedDict[str, Consumer] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = False
        self._read_at: dict[str, float] = {}  # when each group's offsets were last read
        self._closer = Closer("legato-offsets-closer")

    def committed(
        self, group: str, partitions: list[TopicPartition], timeout: float
    ) -> dict[tuple[str, int], int]:
        """The offset `group` committed on each of `partitions` (a partition without one is left
        out). Raises KafkaException when the coordinator did not answer in `timeout` seconds."""
        if not partitions:
            return {}
        with self._lock:
            if self._closed:
                raise KafkaException(KafkaError(KafkaError._DESTROY, "the offset reader is closed"))
            consumer = self._consumer(group)
            self._read_at[group] = time.monotonic()
            try:
                answered = consumer.committed(partitions, timeout=timeout)
                failed = next((tp.error for tp in answered if tp.error is not None), None)
                if failed is not None:
                    raise KafkaException(failed)
            except BaseException:
                self._drop(group)  # the next read starts from a fresh consumer
                raise
        return {(tp.topic, tp.partition): tp.offset for tp in answered if tp.offset >= 0}

    def stalest_first(self, groups: list[str]) -> list[str]:
        """`groups`, those never read first, then those read longest ago."""
        with self._lock:
            return sorted(groups, key=lambda g: self._read_at.get(g, -math.inf))

    def close(self) -> None:
        """Closes every consumer, side by side (each may take a second)."""
        with self._lock:
            self._closed = True
            consumers = list(self._open.values())
            self._open.clear()
        closing = [threading.Thread(target=c.close, name="legato-offsets-close") for c in consumers]
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join()
        self._closer.stop()

    def _consumer(self, group: str) -> Consumer:
        consumer = self._open.pop(group, None)
        if consumer is None:
            consumer = Consumer(
                {
                    **self._connection,
                    "group.id": group,
                    "client.id": "legato-orchestrator-offsets",
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                }
            )
        self._open[group] = consumer  # the most recently read last
        while len(self._open) > self._max_open:
            self._drop(next(iter(self._open)))
        return consumer

    def _drop(self, group: str) -> None:
        consumer = self._open.pop(group, None)
        if consumer is not None:
            self._closer.close_later(consumer)
