"""Whether the engines have read every worker report written before a moment.

An attempt's heartbeat, start-to-close and schedule-to-start deadlines are judged by what its worker
reported: a HEARTBEAT or a STARTED still waiting in `workflow-results` would have moved it on. So a
deadline is claimed only once every report written before it passed has been applied:

1. When a deadline is due, the engine notes the end offsets of every results partition (a mark).
2. The mark is reached once, on every partition, the orchestrator group's committed offset (or this
   engine's own applied offset, which runs ahead of its commits) is at or past the mark. Offsets are
   committed only for applied results, by whichever engine owns the partition; a partition nobody
   owns (a restart, a rebalance) holds the mark until its new owner has read it.
3. Deadlines that had passed when the mark was taken are claimed: the time since the mark is taken
   off the database's now().

This is what keeps an orchestrator restart, a database outage with a backlog, or a lagging engine
from timing out attempts whose workers never stopped reporting.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping

from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from legato import metrics
from legato.kafka.committed import GroupOffsets

log = logging.getLogger(__name__)

Partition = tuple[str, int]

TIMEOUT_S = 5.0  # per Kafka question
POLL_S = 0.1  # how often a mark not reached yet is looked at again
WARN_EVERY_S = 60.0


class ResultsCaughtUp(threading.Thread):
    """Takes and follows marks in the background (Kafka is never asked from the engine's loop)."""

    def __init__(
        self,
        admin: AdminClient,
        offsets: GroupOffsets,
        topic: str,
        group: str,
        applied: Callable[[], Mapping[Partition, int]],
        stop: threading.Event,
    ) -> None:
        super().__init__(name="legato-results-caught-up", daemon=True)
        self._admin = admin
        self._offsets = offsets
        self._topic = topic
        self._group = group
        self._applied = applied
        self._stop = stop
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._reached_at: float | None = None  # monotonic time the last mark reached was taken
        self._held_since: float | None = None
        self._warned_at = 0.0

    def reached_mark_at(self) -> float | None:
        """When the last mark reached was taken (monotonic), or None; asks for a new mark (the
        engine calls this while deadlines are due)."""
        self._wanted.set()
        with self._lock:
            if self._held_since is None:
                self._held_since = time.monotonic()
            return self._reached_at

    def idle(self) -> None:
        """No deadline is due: nothing is held, no mark is wanted."""
        self._wanted.clear()
        with self._lock:
            self._held_since = None
        metrics.DEADLINES_HELD.set(0)

    def run(self) -> None:
        while not self._stop.is_set():
            if not self._wanted.wait(0.5):
                continue
            self._wanted.clear()
            try:
                marked_at = time.monotonic()
                mark = self._end_offsets()
                while not self._stop.is_set():
                    behind = self._behind(mark)
                    if not behind:
                        break
                    self._held(", ".join(f"{t}[{p}] at {done} < {end}" for (t, p), done, end in behind[:5]))
                    self._stop.wait(POLL_S)
            except (KafkaException, TimeoutError) as exc:
                self._held(f"cannot read offsets: {exc}")
                self._stop.wait(POLL_S)
                continue
            except Exception as exc:  # a bug: this thread must live on, or every deadline stays held
                log.exception("following a results mark failed; taking a new one")
                self._held(f"following a mark failed: {exc!r}")
                self._stop.wait(POLL_S)
                continue
            with self._lock:
                self._reached_at = marked_at
                self._held_since = None
            metrics.DEADLINES_HELD.set(0)

    def _held(self, why: str) -> None:
        now = time.monotonic()
        with self._lock:
            held = 0.0 if self._held_since is None else now - self._held_since
        metrics.DEADLINES_HELD.set(held)
        if held >= WARN_EVERY_S and now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "attempt deadlines held for %.0f s: the worker reports written before them are not all "
                "read yet (%s)",
                held,
                why,
            )

    def _end_offsets(self) -> dict[Partition, int]:
        metadata = self._admin.list_topics(topic=self._topic, timeout=TIMEOUT_S)
        described = metadata.topics.get(self._topic)
        if described is None or described.error is not None:
            raise KafkaException(described.error if described is not None else "no metadata")
        latest = OffsetSpec.latest()
        futures = self._admin.list_offsets(
            {TopicPartition(self._topic, p): latest for p in described.partitions}, request_timeout=TIMEOUT_S
        )
        return {(tp.topic, tp.partition): f.result(TIMEOUT_S).offset for tp, f in futures.items()}

    def _behind(self, mark: dict[Partition, int]) -> list[tuple[Partition, int, int]]:
        """The partitions whose applied records do not reach the mark yet."""
        applied = self._applied()
        short = [p for p, end in mark.items() if applied.get(p, -1) < end and end > 0]
        if not short:
            return []
        committed = self._offsets.committed(
            self._group, [TopicPartition(t, p) for t, p in short], timeout=TIMEOUT_S
        )
        behind = []
        for p in short:
            done = max(applied.get(p, -1), committed.get(p, -1))
            if done < mark[p]:
                behind.append((p, done, mark[p]))
        if behind:
            # a partition never committed may hold only records retention deleted (nothing to read)
            starts = self._start_offsets([p for p, done, _ in behind if done < 0])
            behind = [b for b in behind if not (b[1] < 0 and starts.get(b[0], -1) >= b[2])]
        return behind

    def _start_offsets(self, partitions: list[Partition]) -> dict[Partition, int]:
        if not partitions:
            return {}
        earliest = OffsetSpec.earliest()
        futures = self._admin.list_offsets(
            {TopicPartition(t, p): earliest for t, p in partitions}, request_timeout=TIMEOUT_S
        )
        return {(tp.topic, tp.partition): f.result(TIMEOUT_S).offset for tp, f in futures.items()}
