"""The engine in a process of its own (its own GIL), started and watched by `legato serve`."""

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from prometheus_client import multiprocess
from psycopg_pool import ConnectionPool

from legato import metrics, payloads, redaction
from legato.definitions.registry import DefinitionRegistry
from legato.engine.loop import Engine
from legato.engine.metrics_observer import MetricsObserver
from legato.engine.observer import EngineObserver, Observers
from legato.engine.sampler import Sampler
from legato.kafka import clients
from legato.kafka.committed import GroupOffsets
from legato.kafka.publisher import JobPublisher
from legato.settings import Settings
from legato.tracing import ENABLED as TRACING

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """If `legato serve` is killed (even with kill -9), its engine goes with it (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def engine_main(settings: Settings, healthy: "Synchronized[int]") -> None:
    _die_with_parent()
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
        on_health=report,
        observer=observer,
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: engine.stop_event.set())
    metrics.ENGINE_PAUSED.set(0)
    sampler = Sampler(settings, pool, admin, offsets, engine.stop_event)
    sampler.start()
    try:
        engine.run()
    finally:
        engine.stop_event.set()
        sampler.join(5)
        offsets.close()
        producer.flush(10)
        pool.close()
        if TRACING:
            setup.stop()


class EngineProcess:
    """Runs `engine_main` in a child process and starts it again if it dies."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings  # `legato serve`'s, checked at its start (pickled to the child)
        self._ctx = multiprocessing.get_context("spawn")
        self.healthy: Synchronized[int] = self._ctx.Value("b", 0)
        self._process: Any = None
        self._spawned_at = 0.0
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._keep_running, name="legato-engine-watch", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._watch.start()

    def ready(self) -> bool:
        return bool(self._process is not None and self._process.is_alive() and self.healthy.value)

    def _spawn(self) -> None:
        self._spawned_at = time.monotonic()
        self.healthy.value = 0
        self._process = self._ctx.Process(
            target=engine_main, args=(self._settings, self.healthy), name="legato-engine"
        )
        self._process.start()

    def _keep_running(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            self._process.join(0.5)
            if self._process.is_alive() or self._stopping.is_set():
                continue
            log.error("the engine process exited (code %s); starting it again", self._process.exitcode)
            _forget_metrics(self._process.pid)
            if time.monotonic() - self._spawned_at > 60:
                delay = 1.0  # it had been running fine: no back-off
            self._stopping.wait(delay)
            delay = min(delay * 2, 30.0)
            if not self._stopping.is_set():
                self._spawn()

    def stop(self, timeout: float = 20) -> None:
        self._stopping.set()
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
            _forget_metrics(self._process.pid)


def _forget_metrics(pid: int | None) -> None:
    """A dead engine's gauges (paused, lag, outbox) leave the shared view (multiprocess 'live' modes)."""
    if pid is not None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
