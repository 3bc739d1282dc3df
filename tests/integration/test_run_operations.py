"""POST /workflow/run/{id}/cancel and /retry, through real services."""

import threading
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration


def _await_step(api: httpx.Client, run_id: str, step_id: str, status: str, timeout: float = 20) -> None:
    def reached() -> bool:
        steps = {s["id"]: s["status"] for s in api.get(f"/workflow/run/{run_id}").json()["steps"]}
        return steps.get(step_id) == status

    until(reached, timeout, f"step {step_id} of {run_id} {status}")


def test_cancel_ignores_in_flight_results_drops_waits_and_is_idempotent(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, slow, after = unique("cancel"), unique("slow"), unique("after")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "slow", "action": slow},
                {"id": "nap", "wait": {"seconds": 60}},
                {"id": "after", "action": after, "dependsOn": ["slow", "nap"]},
            ],
        },
    )
    started, release = threading.Event(), threading.Event()
    after_calls: list[Any] = []

    def on_slow(p: Any) -> Any:
        started.set()
        release.wait(20)
        return p

    run_id = trigger(api, wid, "x")
    with running_worker(orchestrator, {slow: on_slow, after: after_calls.append}):
        assert started.wait(20)
        r = api.post(f"/workflow/run/{run_id}/cancel")
        assert r.status_code == 200 and r.json() == {"runId": run_id, "status": "CANCELLED", "changed": True}
        again = api.post(f"/workflow/run/{run_id}/cancel")
        assert again.status_code == 200 and again.json()["changed"] is False
        release.set()
        deadline = time.monotonic() + 20
        while "RESULT_IGNORED" not in [e["type"] for e in events(api, run_id)]:
            assert time.monotonic() < deadline, "the in-flight result was not recorded as ignored"
            time.sleep(0.05)
    run = api.get(f"/workflow/run/{run_id}").json()
    assert run["status"] == "CANCELLED"
    assert {s["id"]: s["status"] for s in run["steps"]} == {
        "slow": "CANCELLED",
        "nap": "CANCELLED",
        "after": "CANCELLED",
    }
    assert after_calls == []
    types = [e["type"] for e in events(api, run_id)]
    assert types.count("RUN_CANCELLED") == 1
    assert (
        orchestrator.sql("SELECT count(*) FROM steps WHERE run_id = %s AND wake_at IS NOT NULL", run_id)[0][0]
        == 0
    )
    assert api.post(f"/workflow/run/{run_id}/retry").status_code == 409


def test_operations_answer_404_and_409(api: httpx.Client, orchestrator: Orchestrator) -> None:
    assert api.post(f"/workflow/run/{uuid.uuid4()}/cancel").status_code == 404
    assert api.post(f"/workflow/run/{uuid.uuid4()}/retry").status_code == 404
    assert api.post("/workflow/run/nope/retry").status_code == 422
    wid, a = unique("done"), unique("a")
    define(api, {"id": wid, "steps": [{"id": "a", "action": a}]})
    with running_worker(orchestrator, {a: lambda p: p}):
        run_id = trigger(api, wid, 1)
        assert wait_run(api, run_id)["status"] == "COMPLETED"
    assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 409
    r = api.post(f"/workflow/run/{run_id}/retry")
    assert r.status_code == 409 and "COMPLETED" in r.json()["detail"]


def test_retry_reruns_only_what_failed_and_keeps_completed_outputs(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, a, b, c, d = (unique(x) for x in ("retry", "a", "b", "c", "d"))
    once = {"retry": {"maxAttempts": 1}}
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "a", "action": a},
                {"id": "b", "action": b, "dependsOn": ["a"], **once},
                {"id": "c", "action": c, "dependsOn": ["a"]},
                {"id": "d", "action": d, "dependsOn": ["b", "c"]},
            ],
        },
    )
    calls: Counter[str] = Counter()
    broken = threading.Event()
    broken.set()

    def handler(name: str) -> Any:
        def run(p: Any) -> Any:
            calls[name] += 1
            if name == "b" and broken.is_set():
                raise RuntimeError("flaky dependency")
            return {name: p}

        return run

    handlers = {x: handler(n) for x, n in ((a, "a"), (b, "b"), (c, "c"), (d, "d"))}
    run_id = trigger(api, wid, 1)
    with running_worker(orchestrator, handlers):
        failed = wait_run(api, run_id)
        assert failed["status"] == "FAILED" and failed["error"]["stepId"] == "b"
        # c runs in parallel with b; let it end (completed, or cancelled when the run failed)
        broken.clear()
        r = api.post(f"/workflow/run/{run_id}/retry")
        assert r.status_code == 200, r.text
        assert r.json()["changed"] is True and "b" in r.json()["retriedSteps"]
        assert "a" not in r.json()["retriedSteps"]
        second = api.post(f"/workflow/run/{run_id}/retry")  # running again (or already done)
        assert second.status_code in (200, 409) and second.json().get("changed") is not True
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["error"] is None
    assert run["output"] == {"d": {"b": {"b": {"a": 1}}, "c": {"c": {"a": 1}}}}
    assert calls["a"] == 1 and calls["b"] == 2 and calls["d"] == 1
    types = [e["type"] for e in events(api, run_id)]
    assert types.count("RUN_RETRIED") == 1
    assert types.index("RUN_FAILED") < types.index("RUN_RETRIED") < types.index("RUN_COMPLETED")


def test_retry_of_a_map_reruns_only_its_unfinished_items(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, work = unique("retrymap"), unique("work")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {
                    "id": "each",
                    "action": work,
                    "forEach": "input",
                    "maxParallel": 1,
                    "retry": {"maxAttempts": 1},
                }
            ],
        },
    )
    calls: Counter[int] = Counter()
    broken = threading.Event()
    broken.set()

    def on_work(p: int) -> int:
        calls[p] += 1
        if p == 5 and broken.is_set():
            raise RuntimeError("item 5 broke")
        return p * p

    run_id = trigger(api, wid, list(range(10)))
    with running_worker(orchestrator, {work: on_work}):
        assert wait_run(api, run_id)["status"] == "FAILED"
        broken.clear()
        assert api.post(f"/workflow/run/{run_id}/retry").status_code == 200
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["output"] == [i * i for i in range(10)]
    assert [calls[i] for i in range(10)] == [1, 1, 1, 1, 1, 2, 1, 1, 1, 1]
