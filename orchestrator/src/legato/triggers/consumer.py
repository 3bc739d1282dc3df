"""One trigger's consumer: a thread that reads its topic and takes the records in batches.

Each batch, in order:
1. the records are read (triggers.records): the dead ones are published to the trigger's
   dead-letter topic, with their key, value and headers as they were, plus provenance headers
   (`legato-trigger`, `legato-source-topic`, `-partition`, `-offset`) and the reason
   (`legato-error-type`, `legato-error-message`), and flushed: a dead record never blocks its
   partition, and it is on the dead-letter topic before its offset moves (at least once);
2. the runs and the offsets past the batch commit in one transaction (triggers.take);
3. the offsets are committed to Kafka too, for the tools that show a group's lag (the consumer
   itself starts from PostgreSQL's).

Partitions are assigned by the consumer group (several orchestrators share a topic; each is a
static member, its host and API port, so a restart takes its partitions back without a rebalance);
on assignment each partition is started at PostgreSQL's offset. A batch fenced off (another consumer took the
partition over) is undone and its partitions are started again from PostgreSQL's offsets.
"""

import logging
import socket
import threading
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, Producer, TopicPartition
from psycopg_pool import ConnectionPool

from legato.faults import is_outage
from legato.flow.backlog import Backlog
from legato.kafka import clients
from legato.payloads import configured
from legato.runs.trigger import Triggers
from legato.settings import Settings
from legato.store import triggers_sql
from legato.store.rows import fetch_all, fetch_one
from legato.store.triggers_sql import OffsetRow, TriggerRow
from legato.triggers.records import Dead, Taken, read
from legato.triggers.spec import templates
from legato.triggers.take import Fenced, TriggerGone, take
from legato_protocol.topics import trigger_dlt_topic, trigger_group

log = logging.getLogger(__name__)

BATCH = 500
POLL_S = 0.1
RETRY_S = 1.0


class TriggerConsumer:
    def __init__(
        self,
        settings: Settings,
        pool: ConnectionPool,
        writer: Triggers,
        producer: Producer,
        row: TriggerRow,
        backlog: Backlog | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.writer = writer
        self.producer = producer
        self.row = row
        self.id = row.trigger_id
        self.updated_at = row.updated_at
        self.stop = threading.Event()
        self.templates = templates(row.input, row.idempotency_key)
        self.dlt = trigger_dlt_topic(settings.kafka.orchestrator_group, self.id)
        # partition -> the offset PostgreSQL had when it was assigned or last moved (None: no row)
        self.expected: dict[int, int | None] = {}
        self._thread = threading.Thread(target=self._run, name=f"legato-trigger-{self.id}", daemon=True)
        self.consumer: Consumer | None = None
        self.backlog = backlog
        # its partitions paused: too much work has not started (flow.backlog); None: not looked yet
        self._held: bool | None = None

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 10) -> None:
        self.stop.set()
        self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self._consume()
            except Exception as exc:
                (log.warning if is_outage(exc) else log.exception)(
                    "trigger %s: %r; starting again", self.id, exc
                )
                self.stop.wait(RETRY_S)

    def _consume(self) -> None:
        consumer = Consumer(
            {
                **clients.connection(self.settings.kafka.bootstrap_servers),
                "group.id": trigger_group(self.settings.kafka.orchestrator_group, self.id),
                # static membership: an orchestrator that restarts (a deploy, a crash) takes its
                # partitions back at once instead of waiting out its old session
                "group.instance.id": f"{socket.gethostname()}:{self.settings.api.port}",
                "client.id": f"legato-trigger-{self.id}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 10000,
                "heartbeat.interval.ms": 1000,
                "fetch.wait.max.ms": 50,
                "topic.metadata.refresh.interval.ms": 10000,  # partitions added later are found
            }
        )
        self.consumer = consumer
        self.expected = {}
        self._held = None  # the first look writes `held` (a stale one, of a consumer before, goes)
        try:
            consumer.subscribe([self.row.topic], on_assign=self._assigned, on_revoke=self._revoked)
            while not self.stop.is_set():
                self._hold(consumer)
                msgs = consumer.consume(BATCH, POLL_S)
                records = [m for m in msgs if self._usable(m)]
                if records:
                    self._take(consumer, records)
        finally:
            consumer.close()
            self.consumer = None

    def _hold(self, consumer: Consumer) -> None:
        """Backpressure: while too much work has not started (LEGATO_MAX_BACKLOG, the workflow's
        maxBacklog) the partitions are paused and the records wait in Kafka; taken again after."""
        held_before = self._held
        refusal = None if self.backlog is None else self.backlog.check(self.row.workflow_id)
        if (refusal is not None) == self._held:
            return
        reason = None if refusal is None else refusal.message(self.row.workflow_id)
        with self.pool.connection() as conn:  # in view (the trigger's `held`) before it shows in the lag
            conn.execute(triggers_sql.SET_HELD, (reason, self.id, reason))
        self._held = refusal is not None
        assigned = consumer.assignment()
        if refusal is not None:
            consumer.pause(assigned)
            log.warning("trigger %s: held in Kafka: %s", self.id, reason)
        elif held_before is not None:  # None: this consumer's first look (a stale reason was cleared)
            consumer.resume(assigned)
            log.info("trigger %s: taking records again", self.id)

    def _usable(self, msg: Message) -> bool:
        err = msg.error()
        if err is None:
            return msg.partition() in self.expected
        if err.code() != KafkaError._PARTITION_EOF:
            log.warning("trigger %s: %s", self.id, err)
        return False

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._start_at_database(consumer, partitions)

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.expected.pop(tp.partition, None)

    def _start_at_database(
        self, consumer: Consumer, partitions: list[TopicPartition], seek: bool = False
    ) -> None:
        """Start each partition at PostgreSQL's offset (its beginning when it has none)."""
        with self.pool.connection() as conn:
            rows = fetch_all(
                conn, OffsetRow, triggers_sql.OFFSETS, (self.id, [tp.partition for tp in partitions])
            )
        stored = {r.partition: r.next_offset for r in rows}
        placed = []
        for tp in partitions:
            offset = stored.get(tp.partition)
            self.expected[tp.partition] = offset
            placed.append(
                TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING if offset is None else offset)
            )
        if seek:
            for tp in placed:
                consumer.seek(tp)
        else:
            consumer.assign(placed)
            if self._held:
                consumer.pause(placed)

    def _take(self, consumer: Consumer, records: list[Message]) -> None:
        limits = configured()
        ordered = self.row.ordering == "perKey"
        taken: list[Taken] = []
        dead: list[Dead] = []
        last: dict[int, int] = {}
        for msg in records:
            got = read(msg, self.templates, limits, ordered)
            (dead if isinstance(got, Dead) else taken).append(got)  # type: ignore[arg-type]
            last[got.partition] = max(last.get(got.partition, -1), got.offset)
        if dead:
            self._dead_letter(dead)
        moves = {p: (self.expected.get(p), end + 1) for p, end in last.items()}
        try:
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                batch = take(cur, self.writer, self.id, self.row.workflow_id, taken, len(dead), moves)
        except Fenced:
            log.warning(
                "trigger %s: another consumer moved a partition on; reading from PostgreSQL's offsets",
                self.id,
            )
            self._start_at_database(consumer, [TopicPartition(self.row.topic, p) for p in last], seek=True)
            return
        except TriggerGone:
            self.stop.set()
            return
        except Exception:
            # undone: read the batch again from PostgreSQL's offsets (an outage, a database error)
            self._start_at_database(consumer, [TopicPartition(self.row.topic, p) for p in last], seek=True)
            raise
        for p, (_, end) in moves.items():
            self.expected[p] = end
        batch.count(self.id)
        if self.backlog is not None:  # held at once, not a sample later
            self.backlog.accepted(self.row.workflow_id, batch.outcomes["started"])
        consumer.commit(
            offsets=[TopicPartition(self.row.topic, p, end) for p, (_, end) in moves.items()],
            asynchronous=True,
        )

    def _dead_letter(self, dead: list[Dead]) -> None:
        failed: list[Any] = []

        def delivered(err: Any, _: Any) -> None:
            if err is not None:
                failed.append(err)

        for d in dead:
            msg = d.record
            headers = [
                *(msg.headers() or []),
                ("legato-trigger", self.id.encode()),
                ("legato-source-topic", (msg.topic() or "").encode()),
                ("legato-source-partition", str(d.partition).encode()),
                ("legato-source-offset", str(d.offset).encode()),
                ("legato-error-type", d.error_type.encode()),
                ("legato-error-message", d.message[:4096].encode()),
            ]
            self.producer.produce(
                self.dlt, value=msg.value(), key=msg.key(), headers=headers, on_delivery=delivered
            )
        remaining = self.producer.flush(clients.DELIVERY_TIMEOUT_MS / 1000 + 5)
        if remaining or failed:
            raise RuntimeError(
                f"trigger {self.id}: dead-letter records not delivered: {failed[:1] or remaining}"
            )
        log.warning("trigger %s: %d record(s) dead-lettered to %s", self.id, len(dead), self.dlt)


def load(pool: ConnectionPool, trigger_id: str) -> TriggerRow | None:
    with pool.connection() as conn:
        return fetch_one(conn, TriggerRow, triggers_sql.GET, (trigger_id,))
