"""The schedule showcase of `make demo` (docs/schedules-and-triggers.md): a schedule that fires a
workflow every 2 s. The demo lets it fire a few times, pauses it, prints each fire and how its run
ended, and deletes it (the runs it started stay)."""

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx

FIRES = 3  # fires to see before the schedule is paused
T = TypeVar("T")


def until(probe: Callable[[], T], timeout: float) -> T:
    """`probe()` once it is truthy, or its last value when `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def fires_of(api: httpx.Client, schedule_id: str) -> list[dict[str, Any]]:
    """The schedule's recent fires, oldest first."""
    r = api.get(f"/schedules/{schedule_id}")
    r.raise_for_status()
    fires: list[dict[str, Any]] = r.json()["recentFires"]
    return sorted(fires, key=lambda f: f["fireTime"])


def clock(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M:%S")


def run(
    api: httpx.Client,
    workflow_id: str,
    schedule_id: str,
    wait: Callable[[str], dict[str, Any]],
    describe: Callable[[dict[str, Any]], str],
    timeout: float,
) -> int:
    """Create the schedule, let it fire FIRES times, print its fires; 0 when every fire's run ended."""
    body = {
        "id": schedule_id,
        "workflowId": workflow_id,
        "every": "2s",
        "input": "tick",
        "overlap": "skip",
    }
    r = api.post("/schedules", json=body)
    r.raise_for_status()
    created = r.json()
    print(f"{schedule_id:<32} every 2s on {workflow_id} (overlap skip),")
    print(f"{'':<32} first fire at {clock(created['nextFireTimes'][0])} UTC")

    def enough() -> list[dict[str, Any]]:
        fires = fires_of(api, schedule_id)
        return fires if len(fires) >= FIRES else []

    try:
        if not until(enough, timeout):
            print(f"{'':<32} no {FIRES} fires within {timeout:.0f} s: is the orchestrator's intake running?")
            return 1
        api.post(f"/schedules/{schedule_id}/pause", json={"note": "demo: enough fires"}).raise_for_status()
        fires = fires_of(api, schedule_id)
        ended = 0
        for f in fires:
            what = f"fire {clock(f['fireTime'])} {f['source']:<8} {f['outcome']:<8}"
            if f["runId"] is None:
                print(f"{'':<32} {what} ({f['message']})")
                continue
            finished = wait(f["runId"])
            ended += finished["status"] in ("COMPLETED", "FAILED")
            print(f"{'':<32} {what} run {describe(finished)}")
        started = [f for f in fires if f["runId"] is not None]
        listed = api.get("/workflow/runs", params={"scheduleId": schedule_id}).json()["runs"]
        print(f"{'':<32} paused after {len(fires)} fires; ?scheduleId= lists {len(listed)} runs")
        return 0 if started and ended == len(started) else 1
    finally:
        api.delete(f"/schedules/{schedule_id}")
        print(f"{'':<32} deleted (the runs it started stay)")
