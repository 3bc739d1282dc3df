"""Run the `legato` CLI as a user would, against one isolated orchestrator."""

import os
import subprocess
from typing import Any

import orjson

from harness.orchestrator import LEGATO, Orchestrator


def user_env() -> dict[str, str]:
    """This process's environment without the tester's terminal size (piped, the CLI ignores it;
    tests that check exactly that set COLUMNS themselves)."""
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


# A Kafka address nothing listens on (for the orchestrator: `legato dlt` is an API client).
NO_KAFKA = {"LEGATO_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}


def legato(
    orch: Orchestrator, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(LEGATO), *args],
        env={**user_env(), **orch.env, "LEGATO_API_URL": orch.url, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"legato {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def json_lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


def as_json(orch: Orchestrator, *args: str, env: dict[str, str] | None = None) -> Any:
    """`legato --output json ...`: the API's JSON."""
    return orjson.loads(legato(orch, "--output", "json", *args, env=env).stdout)


def dead_letters(orch: Orchestrator, *filters: str) -> list[dict[str, Any]]:
    """`legato dlt list` with these filters: the dead_letters table, newest first (`--kafka` /
    `--results`: the topic's records, oldest first)."""
    body = as_json(orch, "dlt", "list", *filters)
    found: list[dict[str, Any]] = body["records"] if "records" in body else body["deadLetters"]
    return found
