"""The consumer watch of one action: records behind, and a log line when the consumer stalls.

Called from the consumer's own thread, at most every WATCH_INTERVAL (`_watch.watch_interval_s`),
never per message. A check reads, for each assigned partition, the next offset the consumer hands
out (`position()`: the offset after the last record it received since the assignment; before the
first one, the group's committed offset, read once per assignment; with neither, the partition is
skipped) and the end offset, fresh from the broker (a cached one would stop moving with a stuck
fetcher): all partitions in one ListOffsets request (`offsets_for_times` at OFFSET_END). One
request, not two per partition: each waits at the broker behind the consumer's long-poll fetch on
the same connection, and the consumer thread hands out no job meanwhile (six partitions queried
one by one held jobs back for 250 ms at 20 jobs/s). The queries share one budget of
QUERY_TIMEOUT_S; a failed or slow query skips the check (DEBUG). `_watch.StallRule` decides; this
module logs and sets the metrics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection

from confluent_kafka import OFFSET_END, Consumer, KafkaException, TopicPartition

from legato_worker._metrics import WorkerMetrics
from legato_worker._watch import StallRule, Verdict, watch_interval_s

log = logging.getLogger("legato_worker")

QUERY_TIMEOUT_S = 5.0


class ConsumerWatch:
    """One action consumer's watch; every method runs on that consumer's thread."""

    def __init__(
        self,
        action: str,
        topic: str,
        stall_timeout_ms: int,
        metrics: WorkerMetrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._action = action
        self._topic = topic
        self._metrics = metrics
        self._clock = clock
        self._rule = StallRule(stall_timeout_ms, clock)
        self.interval_s = watch_interval_s(stall_timeout_ms)
        self._due = clock() + self.interval_s
        self._records_seen = 0
        self._committed: dict[int, int] = {}
        """Committed offsets of this assignment's partitions, read before their first record."""

    def due(self) -> bool:
        return self._clock() >= self._due

    def reset(self) -> None:
        """Partitions were assigned, revoked or lost."""
        self._rule.reset()
        self._committed.clear()

    def check(
        self, consumer: Consumer, partitions: Collection[int], *, records: int, held_back: bool
    ) -> Verdict | None:
        """`records`: how many records the consumer received so far (any count that only grows);
        `held_back`: every handler slot is busy. None when the offsets could not be read."""
        try:
            nexts, ends = self._offsets(consumer, sorted(partitions))
        except (KafkaException, TimeoutError) as exc:
            log.debug("consumer watch of %s: offsets unavailable, check skipped: %s", self._topic, exc)
            return None
        finally:  # counted from the end: slow look-ups (a broker away) leave the loop time to run
            self._due = self._clock() + self.interval_s
        received, self._records_seen = records != self._records_seen, records
        verdict = self._rule.check(nexts, ends, received=received, held_back=held_back)
        self._report(verdict)
        return verdict

    def _offsets(self, consumer: Consumer, partitions: list[int]) -> tuple[dict[int, int], dict[int, int]]:
        if not partitions:
            return {}, {}
        deadline = time.monotonic() + QUERY_TIMEOUT_S

        def remaining() -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"offset queries took over {QUERY_TIMEOUT_S:.0f} s")
            return left

        topic = self._topic
        nexts = {
            tp.partition: tp.offset
            for tp in consumer.position([TopicPartition(topic, p) for p in partitions])
            if tp.error is None and tp.offset >= 0
        }
        unread = [TopicPartition(topic, p) for p in partitions if p not in nexts and p not in self._committed]
        if unread:
            for tp in consumer.committed(unread, timeout=remaining()):
                if tp.error is not None:
                    raise KafkaException(tp.error)
                self._committed[tp.partition] = tp.offset  # negative: nothing committed
        for p in partitions:
            if p not in nexts and self._committed.get(p, -1) >= 0:
                nexts[p] = self._committed[p]
        ends: dict[int, int] = {}
        if not nexts:  # a partition without a known next offset is skipped
            return nexts, ends
        query = [TopicPartition(topic, p, OFFSET_END) for p in sorted(nexts)]
        for tp in consumer.offsets_for_times(query, timeout=remaining()):
            if tp.error is not None:
                raise KafkaException(tp.error)
            if tp.offset < 0:
                raise TimeoutError(f"no end offset of {topic}-{tp.partition}")
            ends[tp.partition] = tp.offset
        return nexts, ends

    def _report(self, verdict: Verdict) -> None:
        self._metrics.records_behind(self._action, verdict.behind)
        if verdict.stalled_for is not None:
            log.warning(
                "action '%s': %d record(s) wait in assigned partition(s) %s but none was fetched"
                " for %d s; the consumer is not making progress",
                self._action,
                verdict.behind,
                ", ".join(f"{self._topic}-{p}" for p in verdict.waiting),
                int(verdict.stalled_for),  # whole seconds, rounded down
            )
            self._metrics.stall_began(self._action)
        elif verdict.recovered_after is not None:
            log.info("action '%s': fetching again after %d s", self._action, int(verdict.recovered_after))
            self._metrics.stall_ended(self._action)
