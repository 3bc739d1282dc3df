"""The engine in a process of its own (its own GIL), started and watched by `legato serve`
(legato.supervision)."""

import logging
import signal
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from legato import metrics, payloads, redaction
from legato.definitions.registry import DefinitionRegistry
from legato.engine.loop import Engine
from legato.engine.metrics_observer import MetricsObserver
from legato.engine.observer import EngineObserver, Observers
from legato.engine.sampler import Sampler
from legato.kafka import clients
from legato.kafka.committed import GroupOffsets
from legato.kafka.isolated import GroupAdmin
from legato.kafka.publisher import JobPublisher
from legato.settings import Settings
from legato.store import engine_sql
from legato.supervision import ChildProcess, die_with_parent
from legato.tracing import ENABLED as TRACING

log = logging.getLogger(__name__)


def _generic_plans(conn: psycopg.Connection[Any]) -> None:
    conn.execute(engine_sql.GENERIC_PLANS)
    conn.commit()  # the pool takes a connection back only when idle


def engine_main(settings: Settings, healthy: "Synchronized[int]") -> None:
    die_with_parent()
    logging.basicConfig(
        level=settings.log.level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    redaction.install()  # a spawned process: its own log records are redacted too
    payloads.configure(payloads.JsonLimits(settings.payloads.max_bytes, settings.payloads.max_depth))
    if TRACING:
        from legato.tracing import setup

        setup.start("legato-engine")
    pool = ConnectionPool(
        settings.store.database_url, min_size=1, max_size=4, open=True, name="legato-engine"
    )
    results_pool = ConnectionPool(  # the loop writes one batch at a time; a second for _ran_anyway
        settings.store.database_url,
        min_size=1,
        max_size=2,
        open=True,
        name="legato-engine-results",
        configure=_generic_plans,
    )
    producer = clients.producer(settings)
    counted = MetricsObserver()
    observer: EngineObserver = counted
    publisher = JobPublisher(producer, counter=counted)
    if TRACING:  # the spans observe the engine too; OpenTelemetry is loaded only now
        from legato.engine.tracing_observer import TracingObserver

        traced = TracingObserver(settings.kafka.orchestrator_group)
        observer = Observers(counted, traced)
        publisher = JobPublisher(producer, counter=counted, tracer=traced)
    registry = DefinitionRegistry(pool)

    def report(ok: bool) -> None:
        healthy.value = int(ok)

    offsets = GroupOffsets(clients.connection(settings.kafka.bootstrap_servers))
    admin = clients.admin(settings)
    engine = Engine(
        settings,
        pool,
        producer,
        publisher,
        registry.get,
        lambda: clients.results_consumer(settings),
        admin,
        offsets,
        results_pool,
        on_health=report,
        observer=observer,
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: engine.stop_event.set())
    metrics.ENGINE_PAUSED.set(0)
    groups = GroupAdmin(clients.connection(settings.kafka.bootstrap_servers))
    sampler = Sampler(settings, pool, admin, offsets, groups, engine.stop_event)
    sampler.start()
    try:
        engine.run()
    finally:
        engine.stop_event.set()
        sampler.join(5)
        offsets.close()
        groups.close()
        producer.flush(10)
        results_pool.close()
        pool.close()
        if TRACING:
            setup.stop()


def engine_process(settings: Settings) -> ChildProcess:
    return ChildProcess(engine_main, "legato-engine", settings)
