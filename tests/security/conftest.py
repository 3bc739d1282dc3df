"""A private Kafka with a SASL_SSL listener (deploy/stack.sh, LEGATO_KAFKA_SECURITY=sasl_ssl) and an
orchestrator connected through it; PostgreSQL and Redis are the shared stack's."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack
from harness.services import require_stack

LOGS = Path(__file__).resolve().parents[2] / ".legato" / "logs" / "tests"


def recording(directory: Path, commands: tuple[str, ...], log: Path) -> dict[str, str]:
    """A PATH on which each of `commands` appends its command line (NUL-separated arguments, one
    run a line) to `log`, then runs as itself: what `ps` showed of every such process."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in commands:
        real = shutil.which(name)
        assert real is not None, f"{name} is not installed"
        shim = directory / name
        shim.write_text(
            f'#!/bin/sh\nprintf \'%s\\0\' "$0" "$@" >>"{log}"\nprintf \'\\n\' >>"{log}"\nexec "{real}" "$@"\n'
        )
        shim.chmod(0o755)
    return {"PATH": f"{directory}:{os.environ['PATH']}"}


@pytest.fixture(scope="module")
def command_lines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the secured stack's java and openssl runs are recorded (`recording`)."""
    return tmp_path_factory.mktemp("command-lines") / "argv.log"


@pytest.fixture(scope="module")
def secured_stack(command_lines: Path) -> Iterator[PrivateStack]:
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    stack = PrivateStack(security="sasl_ssl")
    stack.env.update(recording(command_lines.parent / "bin", ("java", "openssl"), command_lines))
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
