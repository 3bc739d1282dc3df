"""`legato serve` (the API, and the engine in a child process) and `legato migrate`.

The server's modules are imported inside the commands: the API client commands stay quick to start,
and PROMETHEUS_MULTIPROC_DIR is set before prometheus_client is first imported."""

import atexit
import logging
import os
import shutil
import socket
import sys
import tempfile
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from legato.settings import Settings

log = logging.getLogger("legato")

# How long an idle keep-alive connection stays open: longer than the pools of common HTTP clients
# keep one (httpx 5 s, Node's fetch 4 s). A server that closes first races a client sending its next
# request on that connection, which then fails with "server disconnected": uvicorn's default of 5 s
# did, about once in 40 requests sent after 5 s idle.
KEEP_ALIVE_S = 75


def _fail(message: str) -> int:
    from legato.redaction import redact

    print(f"legato: {redact(message)}", file=sys.stderr)
    return 2


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)


def migrate() -> None:
    _exit(migrate_database(load_settings()))


def load_settings() -> "Settings":
    """The LEGATO_* settings, checked; a value outside its form exits (2) with one line that
    names each variable at fault and the form it must take."""
    from legato.settings import Settings, SettingsError

    try:
        return Settings.load()
    except SettingsError as exc:
        raise typer.Exit(_fail(str(exc))) from None


def migrate_database(settings: "Settings") -> int:
    from legato.store.migrate import upgrade

    try:
        upgrade(settings.store.sqlalchemy_url)
    except Exception as exc:  # report any failure in one line
        return _fail(f"cannot migrate {settings.store.database_url}: {exc}".splitlines()[0])
    return 0


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def serve() -> None:
    # The API and the engine process share one metrics view (prometheus_client multiprocess mode);
    # this must be set before prometheus_client is first imported, hence the late imports below.
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        directory = tempfile.mkdtemp(prefix="legato-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        atexit.register(shutil.rmtree, directory, True)
    _exit(_serve())


def _serve() -> int:
    import redis
    import uvicorn

    from legato import payloads
    from legato.api import create_app
    from legato.api.database import api_pool
    from legato.api.services import Services
    from legato.auth import policy
    from legato.auth.browser import allowed_hosts
    from legato.definitions.registry import DefinitionRegistry
    from legato.engine.process import engine_process
    from legato.flow.backlog import Backlog
    from legato.idempotency.keys import IdempotencyKeys
    from legato.intake.process import intake_process
    from legato.kafka import clients
    from legato.kafka.committed import GroupOffsets
    from legato.kafka.isolated import GroupAdmin
    from legato.kafka.topics import ensure_core_topics, ensure_job_topics
    from legato.runs.batcher import Batcher
    from legato.runs.feed import RunFeed
    from legato.runs.first_jobs import FirstJobs, api_publisher
    from legato.runs.trigger import Triggers

    settings = load_settings()
    payloads.configure(payloads.JsonLimits(settings.payloads.max_bytes, settings.payloads.max_depth))
    logging.basicConfig(
        level=settings.log.level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        auth_mode = policy.resolve(settings.api.auth, settings.api.host)
        allowed_hosts(settings.api.allowed_hosts)  # checked here, used by the API's BrowserGuard
    except policy.AuthConfigError as exc:
        return _fail(str(exc))
    if not _port_free(settings.api.host, settings.api.port):
        return _fail(
            f"port {settings.api.port} on {settings.api.host} is busy: "
            "stop what uses it or set LEGATO_API_PORT"
        )
    if (code := migrate_database(settings)) != 0:
        return code
    try:
        pool = api_pool(settings)
    except ValueError as exc:
        return _fail(str(exc))
    client = redis.Redis.from_url(settings.store.redis_url, socket_timeout=2, socket_connect_timeout=2)
    registry = DefinitionRegistry(pool)
    try:
        admin = clients.admin(settings)  # an invalid LEGATO_KAFKA_* security setting fails here
        ensure_core_topics(admin, settings)
        ensure_job_topics(admin, settings, registry.actions())
    except Exception as exc:  # report any failure in one line
        return _fail(f"Kafka at {settings.kafka.bootstrap_servers} is not usable: {exc}")
    engine = engine_process(settings)
    engine.start()
    intake = intake_process(settings)
    intake.start()
    first_jobs = FirstJobs(pool, api_publisher(settings), settings.engine.unreported_timeout_ms)
    first_jobs.start()
    writer = Triggers(registry, settings.kafka.jobs_topic, settings.api.idempotency_ttl_seconds, first_jobs)
    backlog = Backlog(pool, settings.api.max_backlog)
    backlog.start()
    feed = RunFeed(settings.store.database_url)
    feed.start()
    services = Services(
        settings=settings,
        pool=pool,
        registry=registry,
        redis=client,
        keys=IdempotencyKeys(client, settings.api.idempotency_ttl_seconds),
        admin=admin,
        group_offsets=GroupOffsets(clients.connection(settings.kafka.bootstrap_servers)),
        groups=GroupAdmin(clients.connection(settings.kafka.bootstrap_servers)),
        engine_ready=engine.ready,
        intake_ready=intake.ready,
        triggers=Batcher(pool, writer.write),
        writer=writer,
        backlog=backlog,
        feed=feed,
        auth_mode=auth_mode,
    )
    log.info("Legato API on http://%s:%d (auth %s)", settings.api.host, settings.api.port, auth_mode.value)
    try:
        uvicorn.run(
            create_app(services),
            host=settings.api.host,
            port=settings.api.port,
            log_level=settings.log.level.lower(),
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_S,
        )
    finally:
        backlog.stop()
        feed.stop()
        services.triggers.close()
        first_jobs.close()
        services.group_offsets.close()
        services.groups.close()
        intake.stop()
        engine.stop()
        pool.close()
    return 0
