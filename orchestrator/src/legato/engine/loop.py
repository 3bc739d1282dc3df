"""The engine's results loop: consume results in batches, apply each (engine.apply), commit the
offsets of what was applied. Housekeeping (the scheduler's tick, what notifications ask for) runs
beside it on a thread of its own (engine.housekeeper), so a batch never waits behind it.

Order of effects for a batch (docs/architecture.md): database commit (the dead jobs' DLT records
held in their rows) -> DLT records acknowledged by Kafka -> new jobs published -> offsets of the
applied results committed. A crash anywhere re-applies the batch from Kafka; the attempt claim makes
that a no-op for everything already applied, and the outboxes publish what was not confirmed.

An outage (legato.faults) pauses the loop it hit until it is over (engine.health). Any other error
is about the data or a bug: a batch is isolated result by result (engine.apply), housekeeping is
skipped until its next tick; the engine never crashes here.
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
from legato.engine.health import Health
from legato.engine.housekeeper import Housekeeper
from legato.engine.housekeeping import Housekeeping
from legato.engine.notifications import Notifications
from legato.engine.observer import EngineObserver
from legato.engine.offsets import AppliedOffsets
from legato.engine.unreported import LostAttempts
from legato.kafka.committed import GroupOffsets
from legato.kafka.publisher import JobPublisher
from legato.payloads import configured
from legato.settings import Settings
from legato.workflow.limits import LIMITED

log = logging.getLogger(__name__)

COMMIT_INTERVAL_S = 0.2
# The longest the loop waits for a result: it wakes as soon as one arrives; in between it only
# records Kafka's acknowledgements (engine.apply: at most every 100 ms) and commits offsets.
POLL_S = 0.05
LOOP = "results"


def _next_batch(consumer: Consumer, size: int) -> list[Message]:
    """Wait (POLL_S at most) for one result, then take every result already fetched.

    Never waits for a batch to fill: a lone result is applied as soon as it arrives, and batches
    grow by themselves under load while the previous one is being written.
    """
    first = consumer.poll(POLL_S)
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
        on_health: Callable[[bool], None] | None = None,
        observer: EngineObserver | None = None,
    ) -> None:
        self.settings = settings
        self.publisher = publisher
        self.consumer_factory = consumer_factory
        self.stop_event = threading.Event()
        self.offsets = AppliedOffsets()
        self.observer = observer or EngineObserver()
        self.health = Health(self.observer, on_health or (lambda _: None), self.stop_event)
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
        self.results = ResultApplier(settings, pool, producer, publisher, lookup, configured(), self.observer)
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
        self.housekeeper = Housekeeper(
            self.housekeeping, self.health, settings.engine.scheduler_interval_ms / 1000, self.stop_event
        )
        self.notifications = Notifications(
            settings.store.database_url,
            self.housekeeping.relay_outbox,
            self.housekeeper.heard,
            self.stop_event,
        )

    def run(self) -> None:
        self.caught_up.start()
        self.notifications.start()
        self.housekeeper.start()
        if self.lost is not None:
            self.lost.start()
        consumer = self.consumer_factory()
        consumer.subscribe(
            [self.settings.kafka.results_topic],
            on_assign=self.offsets.on_assign,
            on_revoke=self.offsets.on_revoke,
            on_lost=self.offsets.on_lost,
        )
        until_done = self.health.until_done
        try:
            while not self.stop_event.is_set():
                msgs = _next_batch(consumer, self.settings.engine.result_batch_size)
                self.publisher.poll(0)
                if until_done(LOOP, functools.partial(self.results.write, msgs), skip_on_bug=False):
                    # committed: what publish does not confirm, the outboxes publish later
                    until_done(LOOP, self.results.publish)
                    self.offsets.applied(msgs)
                    if msgs and LIMITED.known():  # results free slots: admit throttled jobs at once
                        self.housekeeper.admit_now()
                self._commit_offsets(consumer)
            self.housekeeper.join(10)
            try:  # Kafka's last acknowledgements, or their jobs are published again after the hand-over
                self.publisher.poll(0)
                self.results.write([], all_acks=True)
            except Exception as exc:
                log.warning("acknowledgements not recorded at shutdown (published again later): %s", exc)
            with contextlib.suppress(KafkaException):
                self.offsets.commit(consumer, synchronous=True)
        finally:
            consumer.close()
            self.notifications.join(5)

    def _commit_offsets(self, consumer: Consumer) -> None:
        """Commit the offsets of applied results, at most every COMMIT_INTERVAL_S (each commit is a
        broker request); a crash in between only re-applies results whose attempts are already
        claimed, which changes nothing."""
        now = time.monotonic()
        if now - self._committed_at >= COMMIT_INTERVAL_S and self.offsets.pending():
            self.offsets.commit(consumer, synchronous=False)
            self._committed_at = now
