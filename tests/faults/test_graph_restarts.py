"""kill -9 of the orchestrator while a durable wait is pending, while a fan-out is half done and while
child runs start."""

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


def test_children_started_across_a_kill9_are_one_per_step(fresh_orchestrator: Orchestrator) -> None:
    """150 parents start a child each from the engine's batches; the orchestrator is killed -9 while
    they start. Every parent completes with its own child's output, and no step has two children:
    a child is created in the transaction that starts its step, or not at all."""
    orch = fresh_orchestrator
    parent, child, prepare, pack = (
        unique("crash-parent"),
        unique("crash-child"),
        unique("prep"),
        unique("pack"),
    )
    runs = 150
    with httpx.Client(base_url=orch.url, timeout=10) as api:
        define(api, {"id": child, "steps": [{"id": "pack", "action": pack}]})
        define(
            api,
            {
                "id": parent,
                "steps": [
                    {"id": "prepare", "action": prepare},
                    {"id": "ship", "workflow": {"id": child}, "dependsOn": ["prepare"]},
                ],
            },
        )
        ids = [trigger(api, parent, n) for n in range(runs)]

    def children() -> int:
        return int(orch.sql("SELECT count(*) FROM runs WHERE parent_run_id IS NOT NULL")[0][0])

    with running_worker(orch, {prepare: lambda n: n, pack: lambda n: {"packed": n}}, concurrency=4):
        deadline = time.monotonic() + 60
        while children() < runs // 3:
            assert time.monotonic() < deadline, "children did not start"
            time.sleep(0.01)
        orch.kill()
        orch.start()
        with httpx.Client(base_url=orch.url, timeout=10) as api:
            ended = [wait_run(api, r, timeout=90) for r in ids]
    assert [(r["status"], r["output"]) for r in ended] == [("COMPLETED", {"packed": n}) for n in range(runs)]
    per_step = orch.sql(
        "SELECT parent_run_id, parent_step_id, count(*) FROM runs "
        "WHERE parent_run_id IS NOT NULL GROUP BY 1, 2"
    )
    assert len(per_step) == runs and all(n == 1 for _, _, n in per_step)
