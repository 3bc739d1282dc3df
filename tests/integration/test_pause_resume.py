"""Pause and resume, through real services: a paused run dispatches nothing and fires no timer while
another run goes on; what was running finishes; resume continues where the run stopped."""

import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.api import define, events, get_run, step_of, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration


def gauge(api: httpx.Client, name: str) -> float:
    """A gauge of the orchestrator's /metrics (0 before its first sample)."""
    text = api.get("/metrics").text
    found = [s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name]
    return found[0] if found else 0.0


def change(api: httpx.Client, run_id: str, op: str, status: int = 200) -> dict[str, Any]:
    r = api.post(f"/workflow/run/{run_id}/{op}")
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


def engine_went_on(api: httpx.Client, control: str, after: datetime | None = None) -> None:
    """Proof the engine kept working while a run was paused: a run of `control` (one wait step of
    0.3 s) completes, started after `after` (now)."""
    run_id = trigger(api, control, None)
    run = wait_run(api, run_id, timeout=20)
    assert run["status"] == "COMPLETED"
    if after is not None:
        assert datetime.fromisoformat(run["endedAt"]) > after


@pytest.fixture
def control(api: httpx.Client) -> str:
    wid = unique("control")
    define(api, {"id": wid, "steps": [{"id": "tick", "wait": {"seconds": 0.3}}]})
    return wid


def test_a_paused_map_finishes_what_runs_and_dispatches_nothing_new(
    api: httpx.Client, orchestrator: Orchestrator, control: str
) -> None:
    wid, work = unique("paused-map"), unique("work")
    define(api, {"id": wid, "steps": [{"id": "each", "action": work, "forEach": "input", "maxParallel": 2}]})
    started: list[int] = []
    release = threading.Event()

    def on_work(n: int) -> int:
        started.append(n)
        if n in (2, 3):  # both slots of maxParallel hold until the run is paused
            release.wait(20)
        return n * 10

    run_id = trigger(api, wid, list(range(8)))
    with running_worker(orchestrator, {work: on_work}, concurrency=4):
        until(lambda: {2, 3} <= set(started), 20, "the third and fourth items started")
        assert change(api, run_id, "pause") == {"runId": run_id, "status": "PAUSED", "changed": True}
        assert change(api, run_id, "pause")["changed"] is False
        in_flight = set(started)  # two items hold both slots, so no other item can be on its way
        assert in_flight == {0, 1, 2, 3}
        release.set()  # it finishes while the run is paused, and its result is applied
        until(
            lambda: step_of(api, run_id, "each")["items"]["completed"] == len(in_flight),
            20,
            "in-flight items",
        )
        engine_went_on(api, control)
        assert set(started) == in_flight  # no item was dispatched while paused
        assert get_run(api, run_id)["status"] == "PAUSED"
        assert change(api, run_id, "resume") == {"runId": run_id, "status": "RUNNING", "changed": True}
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["output"] == [n * 10 for n in range(8)]
    types = [e["type"] for e in events(api, run_id)]
    assert types.index("RUN_PAUSED") < types.index("RUN_RESUMED")


def test_a_timer_due_while_paused_fires_on_resume(api: httpx.Client, control: str) -> None:
    wid = unique("paused-wait")
    define(
        api,
        {
            "id": wid,
            "steps": [
                # long enough for the pause to come first on a loaded machine (a run that ended
                # cannot be paused)
                {"id": "nap", "wait": {"seconds": 2}},
                {"id": "after", "wait": {"seconds": 0}, "dependsOn": ["nap"]},
            ],
        },
    )
    run_id = trigger(api, wid, None)
    change(api, run_id, "pause")
    wake = datetime.fromisoformat(step_of(api, run_id, "nap")["wakeAt"])
    until(lambda: datetime.now(UTC) > wake, 10, "the wake time")
    engine_went_on(api, control, after=wake)
    assert step_of(api, run_id, "nap")["status"] == "WAITING"
    change(api, run_id, "resume")
    run = wait_run(api, run_id, timeout=10)
    assert run["status"] == "COMPLETED"


def test_a_signal_sent_while_paused_is_taken_on_resume(api: httpx.Client) -> None:
    wid, child = unique("paused-signal"), unique("held-child")
    define(api, {"id": child, "steps": [{"id": "echo", "wait": {"seconds": 0}}]})
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "approve", "signal": {"name": "approval"}},
                {"id": "ship", "workflow": {"id": child}, "dependsOn": ["approve"]},
            ],
        },
    )
    run_id = trigger(api, wid, None)
    until(lambda: step_of(api, run_id, "approve")["status"] == "WAITING", 20, "the wait")
    change(api, run_id, "pause")
    sent = api.post(f"/workflow/run/{run_id}/signal/approval", json={"payload": {"ok": True}}).json()
    assert sent["consumedBy"] is None  # kept: a paused run takes no signal
    assert step_of(api, run_id, "approve")["status"] == "WAITING"
    until(
        lambda: gauge(api, "legato_runs_paused") >= 1 and gauge(api, "legato_signal_waits") >= 1, 15, "gauges"
    )
    change(api, run_id, "resume")
    run = wait_run(api, run_id, timeout=20)
    assert (run["status"], run["output"]) == ("COMPLETED", {"ok": True})


def test_pause_and_resume_answer_for_every_state(api: httpx.Client) -> None:
    wid = unique("states")
    define(api, {"id": wid, "steps": [{"id": "w", "signal": {"name": "go"}}]})
    run_id = trigger(api, wid, None)
    assert change(api, run_id, "resume")["changed"] is False  # running already
    change(api, run_id, "pause")
    assert change(api, run_id, "cancel")["status"] == "CANCELLED"  # a paused run can be cancelled
    change(api, run_id, "pause", 409)
    change(api, run_id, "resume", 409)
    change(api, "00000000-0000-0000-0000-000000000000", "pause", 404)
    change(api, "not-a-run", "resume", 422)


def test_bulk_pause_and_resume_by_filter_with_a_dry_run(api: httpx.Client) -> None:
    wid = unique("bulk-pause")
    define(api, {"id": wid, "steps": [{"id": "w", "signal": {"name": "go"}}]})
    runs = [trigger(api, wid, n) for n in range(3)]
    body = {"filter": {"workflowId": wid}, "limit": 10}
    dry = api.post("/workflow/runs/pause", json={**body, "dryRun": True}).json()
    assert (dry["matched"], dry["changed"], dry["dryRun"]) == (3, 3, True)
    assert all(get_run(api, r)["status"] == "RUNNING" for r in runs)
    done = api.post("/workflow/runs/pause", json=body).json()
    assert done["changed"] == 3
    listed = api.get("/workflow/runs", params={"workflowId": wid, "status": "PAUSED"}).json()
    assert {r["runId"] for r in listed["runs"]} == set(runs)
    resumed = api.post("/workflow/runs/resume", json=body).json()
    assert resumed["changed"] == 3
    assert all(get_run(api, r)["status"] == "RUNNING" for r in runs)
    for n, r in enumerate(runs):
        api.post(f"/workflow/run/{r}/signal/go", json={"payload": n})
    assert [wait_run(api, r)["output"] for r in runs] == [0, 1, 2]


def test_a_job_held_by_a_pause_is_published_on_resume(api: httpx.Client, orchestrator: Orchestrator) -> None:
    """A job that became ready while its run was paused waits in the outbox, and goes on resume."""
    wid, work = unique("held-job"), unique("held")
    define(
        api,
        {
            "id": wid,
            "steps": [{"id": "a", "wait": {"seconds": 0.2}}, {"id": "b", "action": work, "dependsOn": ["a"]}],
        },
    )
    run_id = trigger(api, wid, None)
    change(api, run_id, "pause")
    change(api, run_id, "resume")  # the relay and timers work again at once
    change(api, run_id, "pause")
    deadline = time.monotonic() + 20
    with running_worker(orchestrator, {work: lambda p: "done"}):
        change(api, run_id, "resume")
        run = wait_run(api, run_id, timeout=max(1.0, deadline - time.monotonic()))
    assert run["output"] == "done"
