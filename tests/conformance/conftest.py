"""Conformance fixtures: each test module runs once per SDK language, against one worker process.

Choose languages with LEGATO_CONFORMANCE_SDKS=python,node (default: all three) or `-k python`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from conformance_harness import LANGUAGES, Wire, WorkerProcess, client_config, run_worker_path, security_env


def selected() -> list[str]:
    raw = os.environ.get("LEGATO_CONFORMANCE_SDKS", "")
    chosen = [s.strip() for s in raw.split(",") if s.strip()] or list(LANGUAGES)
    unknown = set(chosen) - set(LANGUAGES)
    if unknown:
        raise pytest.UsageError(f"LEGATO_CONFORMANCE_SDKS: unknown {sorted(unknown)}")
    return chosen


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.conformance)


@pytest.fixture(scope="session")
def conformance_kafka() -> str:
    bootstrap = os.environ.get("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    try:
        AdminClient(client_config(bootstrap, security_env())).list_topics(timeout=5)
    except KafkaException as exc:
        reason = f"Kafka is not reachable at {bootstrap} ({exc}); start it with deploy/stack.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return bootstrap


@pytest.fixture(scope="module", params=selected())
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def languages() -> list[str]:
    """Every selected language at once, for a module whose fault costs the same for one worker as
    for three (a broker restart, an outage that must outlast a client timeout): its test runs the
    workers of all of them side by side, each on its own topics, and judges each apart."""
    return selected()


@pytest.fixture(scope="module")
def wire(conformance_kafka: str, language: str, request: pytest.FixtureRequest) -> Iterator[Wire]:
    """Fresh topics for this module and language; Jobs produced before the worker starts.
    A module may set JOB_PARTITIONS (default 1) and CREATE_RESULTS_TOPIC (default True)."""
    module = request.module.__name__.removeprefix("test_").replace("_", "-")
    wire = Wire(conformance_kafka, f"conf-{language}-{module}-{uuid.uuid4().hex[:8]}")
    wire.create_topics(
        getattr(request.module, "JOB_PARTITIONS", 1),
        results=getattr(request.module, "CREATE_RESULTS_TOPIC", True),
    )
    yield wire
    wire.close()


@pytest.fixture(scope="module")
def start_worker(
    wire: Wire, language: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Callable[..., WorkerProcess]]:
    """Call it to start the SDK's run-worker on this module's topics (each call: one more worker).
    A module may set WORKER_ENV: extra LEGATO_* settings of its workers; `start_worker(env)` adds
    settings of that one worker on top (e.g. LEGATO_CONFORMANCE_CLOCK_OFFSET_MS)."""
    script = run_worker_path(language)
    if not (script.is_file() and os.access(script, os.X_OK)):
        pytest.fail(
            f"{script} is missing or not executable: the {language} SDK must provide it "
            "(see tests/conformance/README.md)"
        )
    started: list[WorkerProcess] = []
    logs = tmp_path_factory.mktemp(f"{language}-worker")
    extra: dict[str, str] = getattr(request.module, "WORKER_ENV", {})

    def start(own: Mapping[str, str] | None = None) -> WorkerProcess:
        n = len(started)
        env = {**wire.env(f"conformance-{language}-{n}"), **extra, **(own or {})}
        process = WorkerProcess(language, env, logs / f"stderr-{n}.log")
        started.append(process)
        wire.worker = process
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="module")
def worker(start_worker: Callable[..., WorkerProcess]) -> WorkerProcess:
    """The module's worker. Its groups are new and read from the earliest offset, so Jobs
    produced before or after it joins are all consumed: there is no readiness race."""
    return start_worker()
