"""Fixtures of the client conformance suite: one orchestrator that requires API keys, a Python worker
for its actions, and each SDK's client driver (choose SDKs with LEGATO_CONFORMANCE_SDKS, as the
worker conformance suite does)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from client_actions import ECHO, FAIL, create_key, echo, fail
from client_driver import LANGUAGES, ClientDriver

from harness.orchestrator import Orchestrator
from harness.services import require_stack
from harness.workers import running_worker

LOGS = Path(__file__).resolve().parents[2] / ".legato" / "logs" / "tests"


def selected() -> list[str]:
    raw = os.environ.get("LEGATO_CONFORMANCE_SDKS", "")
    return [s.strip() for s in raw.split(",") if s.strip()] or list(LANGUAGES)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def secured() -> Iterator[Orchestrator]:
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS, LEGATO_AUTH="required")
    orch.start()
    yield orch
    orch.drop()


@pytest.fixture(scope="session")
def admin_key(secured: Orchestrator) -> str:
    return create_key(secured, "admin")


@pytest.fixture(scope="session")
def worker(secured: Orchestrator) -> Iterator[None]:
    with running_worker(secured, {ECHO: echo, FAIL: fail}):
        yield


@pytest.fixture(scope="module", params=selected())
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def driver(language: str, secured: Orchestrator, admin_key: str) -> Iterator[ClientDriver]:
    client = ClientDriver(language, secured.url, admin_key, LOGS / f"client-driver-{language}.log")
    yield client
    client.close()


@pytest.fixture
def driver_with(language: str, secured: Orchestrator) -> Iterator[Any]:
    """A driver of the test's own, with the key it is given (None: no key)."""
    started: list[ClientDriver] = []

    def start(api_key: str | None) -> ClientDriver:
        log = LOGS / f"client-driver-{language}-own.log"
        started.append(ClientDriver(language, secured.url, api_key, log))
        return started[-1]

    yield start
    for client in started:
        client.close()
