"""Private stacks for tests that stop Kafka, PostgreSQL or Redis (the shared stack stays up)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack
from harness.services import require_stack

LOGS = Path(__file__).parents[2] / ".legato" / "logs" / "tests"


@pytest.fixture
def private_db() -> Iterator[tuple[PrivateStack, Orchestrator]]:
    """An orchestrator on a private PostgreSQL and Redis."""
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    stack = PrivateStack()
    stack.start("postgres", "redis")
    orch = Orchestrator(LOGS, redis_url=stack.redis_url, pg_url=stack.pg_url)
    orch.start()
    yield stack, orch
    orch.stop()
    stack.destroy()


@pytest.fixture
def private_kafka() -> Iterator[tuple[PrivateStack, Orchestrator]]:
    """An orchestrator on a private Kafka broker."""
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    stack = PrivateStack()
    stack.start("kafka")
    orch = Orchestrator(LOGS, kafka=stack.kafka, **stack.client_env())
    orch.start()
    yield stack, orch
    orch.stop()
    stack.destroy()
