"""`legato serve` (API + engine in one process) and `legato migrate`."""

import argparse
import logging
import socket
import sys
from typing import Any

import redis
import uvicorn
from psycopg_pool import ConnectionPool

from legato.api import create_app
from legato.api.services import Services
from legato.definitions.registry import DefinitionRegistry
from legato.engine.loop import Engine
from legato.idempotency.keys import IdempotencyKeys
from legato.kafka import clients
from legato.kafka.publisher import JobPublisher
from legato.kafka.topics import ensure_core_topics, ensure_job_topics
from legato.runs.batcher import Batcher
from legato.runs.trigger import Triggers
from legato.settings import Settings
from legato.store.migrate import upgrade

log = logging.getLogger("legato")


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the API and the engine")
    p.set_defaults(run=serve)
    m = sub.add_parser("migrate", help="bring the database schema up to date")
    m.set_defaults(run=migrate)


def _fail(message: str) -> int:
    print(f"legato: {message}", file=sys.stderr)
    return 2


def migrate(_: argparse.Namespace) -> int:
    settings = Settings()
    try:
        upgrade(settings.sqlalchemy_url)
    except Exception as exc:  # report any failure in one line
        return _fail(f"cannot migrate {settings.database_url}: {exc}".splitlines()[0])
    return 0


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def serve(_: argparse.Namespace) -> int:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not _port_free(settings.api_host, settings.api_port):
        return _fail(
            f"port {settings.api_port} on {settings.api_host} is busy: "
            "stop what uses it or set LEGATO_API_PORT"
        )
    if (code := migrate(_)) != 0:
        return code
    pool = ConnectionPool(settings.database_url, min_size=2, max_size=32, open=True, name="legato")
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    admin = clients.admin(settings)
    producer = clients.producer(settings)
    registry = DefinitionRegistry(pool)
    try:
        ensure_core_topics(admin, settings)
        ensure_job_topics(admin, settings, registry.actions())
    except Exception as exc:  # report any failure in one line
        return _fail(f"Kafka at {settings.kafka_bootstrap_servers} is not usable: {exc}")
    publisher = JobPublisher(producer)
    engine = Engine(
        settings, pool, producer, publisher, registry.get, lambda: clients.results_consumer(settings)
    )
    services = Services(
        settings=settings,
        pool=pool,
        registry=registry,
        publisher=publisher,
        redis=client,
        keys=IdempotencyKeys(client, settings.idempotency_ttl_seconds),
        admin=admin,
        engine=engine,
        triggers=Batcher(pool, Triggers(registry, publisher, settings.jobs_topic).write),
    )
    engine.start()
    log.info("Legato API on http://%s:%d", settings.api_host, settings.api_port)
    try:
        uvicorn.run(
            create_app(services),
            host=settings.api_host,
            port=settings.api_port,
            log_level=settings.log_level.lower(),
            access_log=False,
        )
    finally:
        services.triggers.close()
        engine.stop()
        producer.flush(10)
        pool.close()
    return 0


__all__ = ["register"]
