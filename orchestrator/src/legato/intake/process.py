"""The intake process, started and watched by `legato serve` beside the engine (legato.supervision).

Every orchestrator runs one; they share the work through PostgreSQL and Kafka:
- the scheduler's tick (schedules.ticker): each schedule's row lock makes a fire time handled once;
- one consumer per Kafka-topic trigger that is not paused (triggers.consumer): the trigger's
  consumer group spreads its topic's partitions over the orchestrators; the set of consumers
  follows the `triggers` table (RECONCILE_S);
- `perKey` queues (triggers.queue): a key's next record starts once its run has ended;
- the triggers' lag (triggers.lag), sampled every RECONCILE_S.
"""

import logging
import signal
import threading
from multiprocessing.sharedctypes import Synchronized

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from psycopg_pool import ConnectionPool

from legato import payloads, redaction
from legato.definitions.registry import DefinitionRegistry
from legato.faults import is_outage
from legato.flow.backlog import Backlog
from legato.kafka import clients
from legato.runs.trigger import Triggers
from legato.schedules.ticker import ScheduleTicker
from legato.settings import Settings
from legato.store import triggers_sql
from legato.store.rows import fetch_all
from legato.store.triggers_sql import ActiveRow
from legato.supervision import ChildProcess, die_with_parent
from legato.triggers import lag
from legato.triggers.consumer import TriggerConsumer, load
from legato.triggers.queue import start_queued

log = logging.getLogger(__name__)

RECONCILE_S = 1.0
QUEUE_TICK_S = 0.25


def intake_main(settings: Settings, healthy: "Synchronized[int]") -> None:
    die_with_parent()
    logging.basicConfig(
        level=settings.log.level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    redaction.install()
    payloads.configure(payloads.JsonLimits(settings.payloads.max_bytes, settings.payloads.max_depth))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    pool = ConnectionPool(
        settings.store.database_url, min_size=1, max_size=6, open=True, name="legato-intake"
    )
    writer = Triggers(
        DefinitionRegistry(pool), settings.kafka.jobs_topic, settings.api.idempotency_ttl_seconds
    )
    producer = clients.producer(settings)
    admin = clients.admin(settings)
    ticker = threading.Thread(
        target=ScheduleTicker(pool, writer, stop).run, name="legato-schedules", daemon=True
    )
    ticker.start()
    backlog = Backlog(pool, settings.api.max_backlog)  # topic triggers hold their records behind it
    consumers: dict[str, TriggerConsumer] = {}
    healthy.value = 1
    try:
        while not stop.is_set():
            try:
                _reconcile(settings, pool, writer, producer, consumers, backlog)
                _sample_lag(pool, admin)
                for _ in range(int(RECONCILE_S / QUEUE_TICK_S)):
                    start_queued(pool, writer)
                    if stop.wait(QUEUE_TICK_S):
                        break
                healthy.value = 1
            except Exception as exc:
                healthy.value = 0
                (log.warning if is_outage(exc) else log.exception)("intake: %r", exc)
                stop.wait(RECONCILE_S)
    finally:
        stop.set()
        backlog.stop()
        for c in consumers.values():
            c.close()
        ticker.join(5)
        producer.flush(10)
        pool.close()


_lag_failing: set[str] = set()  # the kinds of lag sampling failure logged already


def _sample_lag(pool: ConnectionPool, admin: AdminClient) -> None:
    """The triggers' lag: a sample that fails is logged (once per kind of failure) and tried again
    next round; it never keeps the intake from its work (lag is for the API and metrics only)."""
    try:
        lag.sample(pool, admin)
    except Exception as exc:
        if is_outage(exc):
            raise
        if type(exc).__name__ not in _lag_failing:
            _lag_failing.add(type(exc).__name__)
            log.warning("cannot sample the triggers' lag (retrying every round): %r", exc)
        return
    _lag_failing.clear()


def _reconcile(
    settings: Settings,
    pool: ConnectionPool,
    writer: Triggers,
    producer: Producer,
    consumers: dict[str, TriggerConsumer],
    backlog: Backlog,
) -> None:
    """A consumer for every trigger not paused, made again when its row changed or it stopped."""
    with pool.connection() as conn:
        rows = {r.trigger_id: r for r in fetch_all(conn, ActiveRow, triggers_sql.ACTIVE)}
    for trigger_id, consumer in list(consumers.items()):
        row = rows.get(trigger_id)
        if row is None or row.paused or row.updated_at != consumer.updated_at or not consumer.alive():
            consumer.close()
            del consumers[trigger_id]
    for trigger_id, row in rows.items():
        if row.paused or trigger_id in consumers:
            continue
        found = load(pool, trigger_id)
        if found is None or found.paused:
            continue
        backlog.start()  # sampled from the first trigger on
        consumer = TriggerConsumer(settings, pool, writer, producer, found, backlog)
        consumer.start()
        consumers[trigger_id] = consumer
        log.info("trigger %s: consuming %s", trigger_id, found.topic)


def intake_process(settings: Settings) -> ChildProcess:
    return ChildProcess(intake_main, "legato-intake", settings)
