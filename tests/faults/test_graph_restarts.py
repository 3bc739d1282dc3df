"""kill -9 of the orchestrator while a durable wait is pending and while a fan-out is half done."""

import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_pending_wait_survives_a_kill9_and_fires_once(fresh_orchestrator: Orchestrator) -> None:
    orch = fresh_orchestrator
    wid = unique("durable-wait")
    with httpx.Client(base_url=orch.url, timeout=10) as api:
        define(api, {"id": wid, "steps": [{"id": "nap", "wait": {"seconds": 2}}]})
        run_id = trigger(api, wid, {"keep": "me"})
        assert api.get(f"/workflow/run/{run_id}").json()["steps"][0]["status"] == "WAITING"
    orch.kill()
    time.sleep(2.5)  # the timer comes due while no orchestrator is running
    orch.start()
    with httpx.Client(base_url=orch.url, timeout=10) as api:
        run = wait_run(api, run_id, timeout=30)
        types = [e["type"] for e in events(api, run_id)]
    assert (run["status"], run["output"]) == ("COMPLETED", {"keep": "me"})
    assert types.count("TIMER_CREATED") == 1 and types.count("TIMER_FIRED") == 1


def test_a_half_done_fan_out_survives_a_kill9_and_joins_once(fresh_orchestrator: Orchestrator) -> None:
    orch = fresh_orchestrator
    wid, branch, join = unique("fan-crash"), unique("branch"), unique("join")
    width = 40
    steps: list[dict[str, Any]] = [{"id": f"b{i}", "action": branch, "input": i} for i in range(width)]
    steps.append({"id": "join", "action": join, "dependsOn": [f"b{i}" for i in range(width)]})
    done: Counter[int] = Counter()
    joins: list[Any] = []
    lock = threading.Lock()

    def on_branch(p: int) -> int:
        time.sleep(0.05)
        with lock:
            done[p] += 1
        return p

    def on_join(p: dict[str, int]) -> int:
        joins.append(p)
        return sum(p.values())

    with httpx.Client(base_url=orch.url, timeout=10) as api:
        define(api, {"id": wid, "steps": steps})
        run_id = trigger(api, wid, None)
    with running_worker(orch, {branch: on_branch, join: on_join}, concurrency=2):
        deadline = time.monotonic() + 30
        while len(done) < width // 2:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        orch.kill()
        orch.start()
        with httpx.Client(base_url=orch.url, timeout=10) as api:
            run = wait_run(api, run_id, timeout=60)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["output"] == sum(range(width))
    assert len(joins) == 1
    applied = orch.sql(
        "SELECT step_id, count(*) FROM run_events WHERE run_id = %s AND type = 'STEP_COMPLETED' GROUP BY 1",
        run_id,
    )
    assert len(applied) == width + 1 and all(n == 1 for _, n in applied)
