"""The backstop: attempts queued without scheduleToStartSeconds that no worker ever reported on.

Such an attempt has no deadline of its own until a worker reports it started. If that report never
comes readable (a result the engine cannot decode, sent to `workflow-results.DLT`; an old worker
that dead-letters the job; a job record lost to retention), nothing would wake its run. So the
attempt gets a backstop deadline when Kafka acknowledges it (LEGATO_UNREPORTED_TIMEOUT_MS). When it
passes, Kafka says which case it is:

- the action's worker group committed past the job's record, or retention deleted the record: the
  job was consumed (or can never be) and nobody reported on it. The attempt is lost: it is claimed
  (`UnreportedTimeout`), queued again without using an attempt, and its run counts as stuck;
- otherwise the record still waits in its topic (a backlog): another backstop period.

The engine claims these deadlines like any other, only once it has read every report written
before them (engine.caught_up).
"""

import logging
import threading
import time
from collections import defaultdict
from typing import Any
from uuid import UUID

import psycopg
from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from psycopg_pool import ConnectionPool

from legato.kafka.committed import GroupOffsets
from legato.store import engine_sql
from legato.store.engine_sql import UnreportedRow
from legato.store.rows import fetch_all
from legato_protocol.topics import worker_group

log = logging.getLogger(__name__)

BATCH = 200
TIMEOUT_S = 5.0
CHECK_EVERY_S = 2.0  # how often due backstop deadlines are checked against Kafka, while some are due
FORGET_AFTER_S = 600.0  # a lost attempt not claimed by then (it reported meanwhile) is forgotten

Partition = tuple[str, int]


class LostAttempts(threading.Thread):
    """Checks due backstop deadlines in the background (Kafka is never asked from the engine loop)
    and keeps the attempts found lost until the engine claims them."""

    def __init__(
        self,
        pool: ConnectionPool[psycopg.Connection[Any]],
        admin: AdminClient,
        offsets: GroupOffsets,
        group_prefix: str,
        backstop_ms: int,
        stop: threading.Event,
    ) -> None:
        super().__init__(name="legato-unreported", daemon=True)
        self._args = (pool, admin, offsets, group_prefix, backstop_ms)
        self._stop = stop
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._lost: dict[UUID, float] = {}  # job id -> when it was found lost (monotonic)

    def wanted(self) -> None:
        self._wanted.set()

    def take(self, found_before: float) -> list[UUID]:
        """The attempts found lost before `found_before` (monotonic); they are the caller's now."""
        now = time.monotonic()
        with self._lock:
            taken = [j for j, found in self._lost.items() if found <= found_before]
            for job_id in taken:
                del self._lost[job_id]
            for job_id, found in list(self._lost.items()):
                if now - found > FORGET_AFTER_S:
                    del self._lost[job_id]
        return taken

    def run(self) -> None:
        while not self._stop.is_set():
            if not self._wanted.wait(0.5):
                continue
            self._wanted.clear()
            try:
                found = lost_attempts(*self._args)
            except Exception:  # a bug or an outage: the next check tries again
                log.exception("checking unreported attempts failed")
                found = []
            now = time.monotonic()
            with self._lock:
                for job_id in found:
                    self._lost.setdefault(job_id, now)
            self._stop.wait(CHECK_EVERY_S)


def lost_attempts(
    pool: ConnectionPool[psycopg.Connection[Any]],
    admin: AdminClient,
    offsets: GroupOffsets,
    group_prefix: str,
    backstop_ms: int,
) -> list[UUID]:
    """The due backstop attempts whose jobs were consumed and never reported on; the others (still
    queued, or not knowable now) get another period."""
    with pool.connection() as conn:
        rows = fetch_all(conn, UnreportedRow, engine_sql.DUE_UNREPORTED, (BATCH,))
    if not rows:
        return []
    by_group: dict[str, set[Partition]] = defaultdict(set)
    for r in rows:
        if r.kafka_partition is not None:
            by_group[worker_group(group_prefix, r.action)].add((r.topic, r.kafka_partition))
    try:
        consumed = _consumed(admin, offsets, by_group)
    except (KafkaException, TimeoutError) as exc:
        log.warning("cannot tell whether %d unreported attempts were consumed: %s", len(rows), exc)
        consumed = {}
    lost: list[UUID] = []
    waiting: list[UUID] = []
    for r in rows:
        past = (
            None
            if r.kafka_partition is None
            else consumed.get((worker_group(group_prefix, r.action), r.topic, r.kafka_partition))
        )
        if past is not None and r.kafka_offset is not None and past > r.kafka_offset:
            lost.append(r.job_id)
        else:
            waiting.append(r.job_id)
    if waiting:
        with pool.connection() as conn:
            conn.execute(engine_sql.PUSH_UNREPORTED, (backstop_ms, waiting))
    if lost:
        log.error(
            "%d attempt(s) were consumed by their workers and never reported on (an undecodable "
            "result in %s, an old worker, a record lost to retention?); queued again: %s",
            len(lost),
            "the results DLT",
            [str(j) for j in lost[:5]],
        )
    return lost


def _consumed(
    admin: AdminClient, offsets: GroupOffsets, by_group: dict[str, set[Partition]]
) -> dict[tuple[str, str, int], int]:
    """Per (group, topic, partition): the offset below which every record is gone from the group's
    reach: the later of its committed offset and the partition's first offset (retention)."""
    partitions = sorted({p for ps in by_group.values() for p in ps})
    earliest = OffsetSpec.earliest()
    futures = admin.list_offsets(
        {TopicPartition(t, p): earliest for t, p in partitions}, request_timeout=TIMEOUT_S
    )
    starts = {(tp.topic, tp.partition): f.result(TIMEOUT_S).offset for tp, f in futures.items()}
    out = {}
    for group, ps in by_group.items():
        committed = offsets.committed(group, [TopicPartition(t, p) for t, p in sorted(ps)], TIMEOUT_S)
        for t, p in ps:
            out[(group, t, p)] = max(committed.get((t, p), -1), starts.get((t, p), -1))
    return out
