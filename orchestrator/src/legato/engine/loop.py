"""The engine loop: consume results in batches, apply each (engine.apply), keep house between them
(engine.housekeeping), commit the offsets of what was applied.

Order of effects for a batch (docs/architecture.md): database commit (the dead jobs' DLT records
held in their rows) -> DLT records acknowledged by Kafka -> new jobs published -> offsets of the
applied results committed. A crash anywhere re-applies the batch from Kafka; the attempt claim makes
that a no-op for everything already applied, and the outboxes publish what was not confirmed.

An outage (legato.faults) pauses the engine until it is over. Any other error is about the data or
a bug: a batch is isolated result by result (engine.apply), housekeeping is skipped until its next
tick; the engine never crashes here.
"""

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient
from psycopg_pool import ConnectionPool

from legato.definitions import Definition
from legato.engine.apply import ResultApplier
from legato.engine.caught_up import ResultsCaughtUp
from legato.engine.housekeeping import Housekeeping
from legato.engine.notifications import Notifications
from legato.engine.observer import EngineObserver
from legato.engine.offsets import AppliedOffsets
from legato.engine.unreported import LostAttempts
from legato.faults import is_outage
from legato.kafka.committed import GroupOffsets
from legato.kafka.publisher import JobPublisher
from legato.payloads import configured
from legato.settings import Settings
from legato.store import engine_sql
from legato.workflow.limits import LIMITED

log = logging.getLogger(__name__)

COMMIT_INTERVAL_S = 0.2


def _next_batch(consumer: Consumer, size: int) -> list[Message]:
    """Wait (10 ms at most) for one result, then take every result already fetched.

    Never waits for a batch to fill: a lone result is applied as soon as it arrives, and batches
    grow by themselves under load while the previous one is being written.
    """
    first = consumer.poll(0.01)
    if first is None:
        return []
    return [first, *consumer.consume(size - 1, timeout=0)]


class Engine:
    def __init__(
        self,
        settings: Settings,
        pool: ConnectionPool,
        producer: Producer,
        publisher: JobPublisher,
        lookup: Callable[[str, int], Definition],
        consumer_factory: Callable[[], Consumer],
        admin: AdminClient,
        group_offsets: GroupOffsets,
        results_pool: ConnectionPool,
        on_health: Callable[[bool], None] | None = None,
        observer: EngineObserver | None = None,
    ) -> None:
        """`results_pool`: the connections result batches are written on (engine.process sets
        them up for it); `pool`: everything else."""
        self.settings = settings
        self.publisher = publisher
        self.consumer_factory = consumer_factory
        self.stop_event = threading.Event()
        self.healthy = threading.Event()
        self.offsets = AppliedOffsets()
        self.observer = observer or EngineObserver()
        self._on_health = on_health or (lambda _: None)
        self._committed_at = 0.0
        self.caught_up = ResultsCaughtUp(
            admin,
            group_offsets,
            settings.kafka.results_topic,
            settings.kafka.orchestrator_group,
            self.offsets.applied_offsets,
            self.stop_event,
        )
        self.lost = (
            LostAttempts(
                pool,
                admin,
                group_offsets,
                settings.kafka.group_prefix,
                settings.engine.unreported_timeout_ms,
                self.stop_event,
            )
            if settings.engine.unreported_timeout_ms
            else None
        )
        self.results = ResultApplier(
            settings, results_pool, producer, publisher, lookup, configured(), self.observer
        )
        self.housekeeping = Housekeeping(
            settings,
            pool,
            producer,
            publisher,
            lookup,
            self.observer,
            self.caught_up,
            self.lost,
            self.stop_event,
        )
        self.notifications = Notifications(
            settings.store.database_url, self.housekeeping.relay_outbox, self.stop_event
        )

    def run(self) -> None:
        self.caught_up.start()
        self.notifications.start()
        if self.lost is not None:
            self.lost.start()
        consumer = self.consumer_factory()
        consumer.subscribe(
            [self.settings.kafka.results_topic],
            on_assign=self.offsets.on_assign,
            on_revoke=self.offsets.on_revoke,
            on_lost=self.offsets.on_lost,
        )
        next_tick = 0.0
        try:
            while not self.stop_event.is_set():
                msgs = _next_batch(consumer, self.settings.engine.result_batch_size)
                self.publisher.poll(0)
                if self._until_done(functools.partial(self.results.write, msgs), skip_on_bug=False):
                    # committed: what publish does not confirm, the outboxes publish later
                    self._until_done(self.results.publish)
                    self.offsets.applied(msgs)
                    if msgs and LIMITED.known():  # results free slots: admit throttled jobs at once
                        self._until_done(self.housekeeping.admit)
                self._commit_offsets(consumer)
                channels = self.notifications.take()
                if engine_sql.JOBS_CHANNEL in channels and LIMITED.known():  # relayed already
                    self._until_done(self.housekeeping.admit)
                if engine_sql.WITHDRAWALS_CHANNEL in channels:
                    self._until_done(self.housekeeping.withdraw)
                now = time.monotonic()
                if now >= next_tick or engine_sql.WAKE_CHANNEL in channels:
                    self._until_done(self.housekeeping.tick)
                    next_tick = now + self.settings.engine.scheduler_interval_ms / 1000
            try:  # Kafka's last acknowledgements, or their jobs are published again after the hand-over
                self.results.write([], all_acks=True)
            except Exception as exc:
                log.warning("acknowledgements not recorded at shutdown (published again later): %s", exc)
            with contextlib.suppress(KafkaException):
                self.offsets.commit(consumer, synchronous=True)
        finally:
            consumer.close()
            self.notifications.join(5)

    def _until_done(self, work: Callable[[], None], skip_on_bug: bool = True) -> bool:
        """Run `work` until it succeeds (True). An outage pauses the engine, never skips work.

        Any other error is a bug or bad data: the scheduler's work (`skip_on_bug`) is skipped
        until its next tick, so results keep flowing; a result batch is retried after a pause
        (its messages are isolated one by one inside engine.apply). The engine never crashes here.
        """
        delay = 0.1
        while not self.stop_event.is_set():
            try:
                work()
            except Exception as exc:
                outage = is_outage(exc)
                self.observer.failed(outage)
                if outage and self.healthy.is_set():
                    self.healthy.clear()
                    self._on_health(False)
                if not outage:
                    log.exception("engine error (not an outage)")
                    if skip_on_bug:
                        return False
                else:
                    log.warning("engine paused, retrying in %.1fs: %s", delay, exc)
                self.stop_event.wait(delay)
                delay = min(delay * 2, 5.0)
                continue
            if not self.healthy.is_set():
                self.observer.healthy()
                self.healthy.set()
                self._on_health(True)
            return True
        return False

    def _commit_offsets(self, consumer: Consumer) -> None:
        """Commit the offsets of applied results, at most every COMMIT_INTERVAL_S (each commit is a
        broker request); a crash in between only re-applies results whose attempts are already
        claimed, which changes nothing."""
        now = time.monotonic()
        if now - self._committed_at >= COMMIT_INTERVAL_S and self.offsets.pending():
            self.offsets.commit(consumer, synchronous=False)
            self._committed_at = now
