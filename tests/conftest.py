"""Fixtures shared by the integration and fault tests."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.orchestrator import Orchestrator
from harness.services import require_stack

LOGS = Path(__file__).resolve().parents[1] / ".legato" / "logs" / "tests"


@pytest.fixture(scope="session")
def orchestrator() -> Iterator[Orchestrator]:
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS)
    orch.start()
    yield orch
    orch.drop()


@pytest.fixture
def fresh_orchestrator() -> Iterator[Orchestrator]:
    """An orchestrator of the test's own, for tests that kill or restart it."""
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS)
    orch.start()
    yield orch
    orch.drop()


@pytest.fixture
def own_api(fresh_orchestrator: Orchestrator) -> Iterator[httpx.Client]:
    """A client of the test's own orchestrator (`fresh_orchestrator`)."""
    with httpx.Client(base_url=fresh_orchestrator.url, timeout=30) as client:
        yield client


@pytest.fixture
def api(orchestrator: Orchestrator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=orchestrator.url, timeout=30) as client:
        yield client
