"""Run the `legato` CLI as a user would, against one isolated orchestrator."""

import os
import subprocess
from typing import Any

import orjson

from harness.orchestrator import LEGATO, Orchestrator

# A Kafka address nothing listens on: what `legato dlt` sees when Kafka is down.
NO_KAFKA = {"LEGATO_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}


def legato(
    orch: Orchestrator, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(LEGATO), *args],
        env={**os.environ, **orch.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"legato {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def json_lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


def dead_letters(orch: Orchestrator, *filters: str) -> list[dict[str, Any]]:
    """`legato dlt list --json` with these filters (the dead_letters table; `--kafka` for the topic)."""
    return json_lines(legato(orch, "dlt", "list", "--json", *filters).stdout)
