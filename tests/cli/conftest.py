"""The `legato` CLI against a real orchestrator: in-process (`legato.cli.main`, as other code calls
it) and as the installed `.venv/bin/legato` in a subprocess (harness.cli)."""

import pytest
from cli_runner import Cli, Result, run_cli

from harness.orchestrator import Orchestrator


@pytest.fixture
def cli(orchestrator: Orchestrator) -> Cli:
    """`legato --api <the test orchestrator> ARGS...`, in this process."""

    def call(*args: str, expect: int = 0) -> Result:
        result = run_cli("--api", orchestrator.url, *args)
        assert result.code == expect, f"legato {' '.join(args)} exited {result.code}: {result.stderr}"
        return result

    return call
