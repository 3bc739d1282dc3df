"""A private Kafka with a SASL_SSL listener (deploy/stack.sh, LEGATO_KAFKA_SECURITY=sasl_ssl) and an
orchestrator connected through it; PostgreSQL and Redis are the shared stack's."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack
from harness.services import require_stack

LOGS = Path(__file__).resolve().parents[2] / ".legato" / "logs" / "tests"


@pytest.fixture(scope="module")
def secured_stack() -> Iterator[PrivateStack]:
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    stack = PrivateStack(security="sasl_ssl")
    try:
        stack.start("kafka")
        yield stack
    finally:
        stack.destroy()


@pytest.fixture(scope="module")
def secured_orchestrator(secured_stack: PrivateStack) -> Iterator[Orchestrator]:
    orch = Orchestrator(LOGS, kafka=secured_stack.kafka, **secured_stack.client_env())
    try:
        orch.start()
        yield orch
    finally:
        orch.drop()
