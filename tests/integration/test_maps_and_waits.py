"""Dynamic map (forEach + maxParallel) and durable waits, through real services."""

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from harness.api import define, events, trigger, unique, wait_run
from harness.cli import dead_letters, legato
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration


def test_map_gathers_outputs_in_item_order(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, price, total = unique("map"), unique("price"), unique("total")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {
                    "id": "price",
                    "action": price,
                    "forEach": "input.lines",
                    "input": {"sku": "${item.sku}", "qty": "${item.qty}", "line": "${index}"},
                    "maxParallel": 2,
                },
                {"id": "total", "action": total, "dependsOn": ["price"]},
            ],
        },
    )
    lines = [{"sku": f"s{i}", "qty": i + 1} for i in range(7)]

    def on_price(p: dict[str, Any]) -> dict[str, Any]:
        time.sleep(0.01 * (7 - p["line"]))  # later items finish first
        return {"line": p["line"], "amount": p["qty"] * 10}

    handlers = {price: on_price, total: lambda ps: sum(p["amount"] for p in ps)}
    run_id = trigger(api, wid, {"lines": lines})
    with running_worker(orchestrator, handlers):
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED", run["error"]
    steps = {s["id"]: s for s in run["steps"]}
    assert [o["line"] for o in steps["price"]["output"]] == list(range(7))
    assert steps["price"]["items"] == {"total": 7, "completed": 7}
    assert run["output"] == sum((i + 1) * 10 for i in range(7))


def test_map_of_1000_items_respects_max_parallel(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, work = unique("map1k"), unique("work")
    limit = 50
    define(
        api,
        {"id": wid, "steps": [{"id": "each", "action": work, "forEach": "input", "maxParallel": limit}]},
    )
    running = 0
    peak = 0
    lock = threading.Lock()

    def on_work(p: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.002)
        with lock:
            running -= 1
        return p * 2

    run_id = trigger(api, wid, list(range(1000)))
    with running_worker(orchestrator, {work: on_work}, concurrency=64):
        run = wait_run(api, run_id, timeout=120)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["output"] == [i * 2 for i in range(1000)]
    assert peak <= limit


def test_a_failed_item_fails_the_map_fast(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, work = unique("mapfail"), unique("work")
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
    seen: list[int] = []

    def on_work(p: int) -> int:
        seen.append(p)
        if p == 2:
            raise ValueError("bad item")
        return p

    run_id = trigger(api, wid, list(range(10)))
    with running_worker(orchestrator, {work: on_work}):
        run = wait_run(api, run_id)
    assert run["status"] == "FAILED"
    assert run["error"]["item"] == 2 and run["error"]["type"] == "ValueError"
    assert seen == [0, 1, 2]
    # Pending items were never dispatched: no attempt exists for items 3-9.
    jobs = orchestrator.sql("SELECT count(*) FROM jobs WHERE run_id = %s", uuid.UUID(run_id))
    assert jobs == [(3,)]


def test_on_item_failure_continue_keeps_going_with_null_outputs(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, work = unique("mapcontinue"), unique("work")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {
                    "id": "each",
                    "action": work,
                    "forEach": "input",
                    "maxParallel": 2,
                    "onItemFailure": "continue",
                    "retry": {"maxAttempts": 2, "initialDelayMs": 10},
                },
                {
                    "id": "count",
                    "action": work,
                    "dependsOn": ["each"],
                    "input": "${length(steps.each.output)}",
                },
            ],
        },
    )

    def on_work(p: int) -> int:
        if p in (2, 5):
            raise ValueError(f"bad item {p}")
        return p * 10

    run_id = trigger(api, wid, list(range(7)))
    with running_worker(orchestrator, {work: on_work}):
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED"
    steps = {s["id"]: s for s in run["steps"]}
    assert steps["each"]["output"] == [0, 10, None, 30, 40, None, 60]
    assert steps["count"]["output"] == 70  # 7 * 10: length() over the gathered list is 7
    kinds = [e["type"] for e in events(api, run_id)]
    assert kinds.count("ITEM_DEAD_LETTERED") == 2
    assert "RUN_FAILED" not in kinds


def test_empty_map_completes_with_an_empty_list(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, work = unique("mapempty"), unique("work")
    define(api, {"id": wid, "steps": [{"id": "each", "action": work, "forEach": "input"}]})
    run = wait_run(api, trigger(api, wid, []))
    assert (run["status"], run["output"]) == ("COMPLETED", [])


def test_wait_fires_within_a_second_and_passes_its_input_on(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, before, after = unique("wait"), unique("before"), unique("after")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "before", "action": before},
                {"id": "cool-off", "wait": {"seconds": 1.5}, "dependsOn": ["before"]},
                {"id": "after", "action": after, "dependsOn": ["cool-off"]},
            ],
        },
    )
    with running_worker(orchestrator, {before: lambda p: {"v": p}, after: lambda p: p}):
        run = wait_run(api, trigger(api, wid, 3), timeout=30)
    assert run["status"] == "COMPLETED"
    assert run["output"] == {"v": 3}
    history = events(api, run["runId"])
    types = [e["type"] for e in history]
    assert "TIMER_CREATED" in types and "TIMER_FIRED" in types
    created = next(e for e in history if e["type"] == "TIMER_CREATED")
    fired = next(e for e in history if e["type"] == "TIMER_FIRED")
    # The timer is due 1.5 s after the database's clock in the transaction that created it: the
    # event's own time (its `wakeAt` is the planner's reading of the application clock).
    wake = datetime.fromisoformat(created["at"]) + timedelta(seconds=1.5)
    late = datetime.fromisoformat(fired["at"]) - wake
    assert timedelta(0) <= late < timedelta(seconds=1)


def test_wait_until_a_time(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid = unique("until")
    at = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    define(api, {"id": wid, "steps": [{"id": "w", "wait": {"until": at}}]})
    run = wait_run(api, trigger(api, wid, "x"), timeout=20)
    assert (run["status"], run["output"]) == ("COMPLETED", "x")
    assert datetime.fromisoformat(run["endedAt"]) >= datetime.fromisoformat(at)


def test_a_dead_map_item_is_replayed_from_the_dlt(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, work = unique("mapdlt"), unique("work")
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
    broken = threading.Event()
    broken.set()

    def on_work(p: int) -> int:
        if p == 2 and broken.is_set():
            raise RuntimeError("item 2 broke")
        return p + 100

    run_id = trigger(api, wid, [0, 1, 2])
    with running_worker(orchestrator, {work: on_work}):
        assert wait_run(api, run_id)["status"] == "FAILED"
        until(lambda: dead_letters(orchestrator, "--run-id", run_id), 20, "a dead letter")
        broken.clear()
        legato(orchestrator, "dlt", "replay", "--run-id", run_id)
        run = wait_run(api, run_id, statuses={"COMPLETED"})
    assert run["output"] == [100, 101, 102]
