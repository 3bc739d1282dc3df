"""HTTP helpers: define, trigger, and await a run's end (a bounded poll, never a bare sleep)."""

import time
import uuid
from typing import Any

import httpx

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def define(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/workflow/", json=body)
    assert r.status_code in (200, 201), r.text
    out: dict[str, Any] = r.json()
    return out


def trigger(api: httpx.Client, workflow_id: str, value: Any, key: str | None = None) -> str:
    headers = {"Idempotency-Key": key} if key else {}
    r = api.post(f"/workflow/{workflow_id}/trigger", json={"input": value}, headers=headers)
    assert r.status_code == 200, r.text
    run_id: str = r.json()["runId"]
    return run_id


def wait_run(
    api: httpx.Client, run_id: str, statuses: set[str] = TERMINAL, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        last = time.monotonic() >= deadline  # read once more at the deadline (waiting.until)
        try:
            run: dict[str, Any] = api.get(f"/workflow/run/{run_id}").json()
        except httpx.RemoteProtocolError:
            # A keep-alive connection the server closed (its 5 s idle timer, run late on a loaded
            # box) as this GET went out: a poll, so asked again on a new connection, as urllib3
            # retries idempotent requests. Any other error, and a 5xx, still fail.
            run = api.get(f"/workflow/run/{run_id}").json()
        if run.get("status") in statuses:
            return run
        if last:
            raise AssertionError(f"run {run_id} not in {statuses} after {timeout}s: {run}")
        time.sleep(0.05)


def events(api: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = api.get(f"/workflow/run/{run_id}/events").json()["events"]
    return out


def get_run(api: httpx.Client, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = api.get(f"/workflow/run/{run_id}").json()
    return run


def step_of(api: httpx.Client, run_id: str, step_id: str) -> dict[str, Any]:
    """One step of a run, as GET /workflow/run/{runId} shows it."""
    found: dict[str, Any] = next(s for s in get_run(api, run_id)["steps"] if s["id"] == step_id)
    return found
