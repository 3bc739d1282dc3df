"""The `data-import` showcase of `make demo`: kill -9 a heartbeating worker mid-step, watch the
retry resume from the last progress it reported (examples/python/import_worker.py).

Two import workers run (this script starts them, so the kill is its own); the one that takes the
step is killed once the step has reported some progress. It stops heartbeating, the orchestrator
retries the step `heartbeatSeconds` later with the last heartbeat's details, and the survivor,
once Kafka has handed it the dead worker's partitions, carries on from there.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

WORKER = Path(__file__).parent / "python" / "import_worker.py"
SESSION_TIMEOUT_MS = "6000"  # a killed worker's partitions move on within ~6 s


def _worker(name: str) -> "subprocess.Popen[bytes]":
    env = {**os.environ, "LEGATO_WORKER_ID": name, "LEGATO_SESSION_TIMEOUT_MS": SESSION_TIMEOUT_MS}
    return subprocess.Popen(
        [sys.executable, str(WORKER)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _until(what: str, timeout: float, probe: Any) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"{what} within {timeout:.0f} s")


def _progress(api: httpx.Client, run_id: str) -> tuple[int, str | None]:
    step = api.get(f"/workflow/run/{run_id}").json()["steps"][0]
    live = step.get("liveAttempt") or {}
    return int((live.get("progress") or {}).get("done", 0)), live.get("workerId")


def run(api: httpx.Client, run_id_of: Any, timeout: float) -> dict[str, Any]:
    """Start two workers, trigger (`run_id_of()` returns the new run's id), kill the busy worker
    once the step has made progress; returns the finished run with what happened."""
    workers = {name: _worker(name) for name in ("demo-import-a", "demo-import-b")}
    try:
        _until("an import worker in the group", 30, lambda: _live(api))
        run_id = run_id_of()
        done, busy = _until("progress reported", 30, lambda: _reported(api, run_id, 10))
        victim = workers[str(busy)]
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run: dict[str, Any] = api.get(f"/workflow/run/{run_id}").json()
            if run["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                run["killed"] = {"worker": busy, "atBatch": done}
                return run
            time.sleep(0.2)
        raise TimeoutError(f"run {run_id} did not finish within {timeout:.0f} s")
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)


def _live(api: httpx.Client) -> bool:
    answer = api.get("/workers")
    return answer.status_code == 200 and bool(answer.json()["actions"].get("import-rows", {}).get("workers"))


def _reported(api: httpx.Client, run_id: str, at_least: int) -> tuple[int, str | None] | None:
    done, worker = _progress(api, run_id)
    return (done, worker) if done >= at_least and worker else None
