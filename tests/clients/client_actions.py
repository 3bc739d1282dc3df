"""The actions the client suite's worker runs, and its API keys."""

import uuid
from typing import Any

from harness.cli import legato
from harness.orchestrator import Orchestrator

ECHO = f"client-echo-{uuid.uuid4().hex[:6]}"
FAIL = f"client-fail-{uuid.uuid4().hex[:6]}"


class Declined(Exception):
    """What FAIL raises: its name is the error type the run fails with."""


def echo(payload: Any) -> Any:
    return payload


def fail(payload: Any) -> Any:
    raise Declined(f"declined {payload!r}")


def create_key(orch: Orchestrator, scope: str) -> str:
    name = f"client-{scope}-{uuid.uuid4().hex[:6]}"
    return legato(orch, "keys", "create", "--database", "--name", name, "--scope", scope).stdout.strip()
