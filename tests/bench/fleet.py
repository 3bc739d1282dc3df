"""What both end-to-end benches share: no-op worker processes, a warm-up run, waiting, the table."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

HERE = Path(__file__).parent


@contextmanager
def noop_workers(
    actions: Sequence[str], processes: int, sdk: str = "python", **env_extra: str
) -> Iterator[None]:
    """`processes` worker processes whose handlers return their input; stopped on exit.

    Python runs noop_worker.py with `actions`; node and java run their SDK's conformance worker,
    whose `echo` action is the no-op (the workflow must then use `echo`).
    """
    env = {**os.environ, "LEGATO_LOG_LEVEL": "WARNING", **env_extra}
    if sdk == "python":
        command = [sys.executable, str(HERE / "noop_worker.py"), *actions]
    else:
        command = [str(HERE.parents[1] / f"worker-sdk-{sdk}" / "conformance" / "run-worker")]
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(processes)]
    try:
        yield
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(30)


def await_condition(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"condition not met in {timeout}s")


def warm_up(api: httpx.Client, conn: psycopg.Connection[Any], workflow_id: str, value: Any) -> None:
    """One run through every step (topics, groups, caches), then removed from the figures."""
    run_id = api.post(f"/workflow/{workflow_id}/trigger", json={"input": value}).json()["runId"]
    await_condition(lambda: api.get(f"/workflow/run/{run_id}").json()["status"] == "COMPLETED", 60)
    conn.execute("DELETE FROM runs WHERE run_id = %s", (uuid.UUID(run_id),))
    conn.execute("DELETE FROM jobs WHERE run_id = %s", (uuid.UUID(run_id),))


def await_runs_ended(conn: psycopg.Connection[Any], workflow_id: str, runs: int, timeout: float) -> None:
    def ended() -> bool:
        row = conn.execute(
            "SELECT count(*) FROM runs WHERE workflow_id = %s AND ended_at IS NOT NULL", (workflow_id,)
        ).fetchone()
        return row is not None and row[0] >= runs

    await_condition(ended, timeout)


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}")
    print("-" * (width + 20))
    for k, v in rows:
        print(f"{k:<{width}}  {v:>16}")
    print("-" * (width + 20))
