"""Run the `legato` CLI as a user would, against one isolated orchestrator."""

import os
import subprocess
from typing import Any

import orjson

from harness.orchestrator import LEGATO, Orchestrator


def legato(orch: Orchestrator, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(LEGATO), *args],
        env={**os.environ, **orch.env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"legato {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def dead_letters(orch: Orchestrator, *filters: str) -> list[dict[str, Any]]:
    out = legato(orch, "dlt", "list", "--json", *filters).stdout
    return [orjson.loads(line) for line in out.splitlines() if line.strip()]
