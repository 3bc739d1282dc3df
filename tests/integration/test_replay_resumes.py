"""`legato dlt replay` is retry-from-failure: it resumes everything the failure stopped (cancelled
siblings, map items), with an optional payload for the replayed step, and old attempts never count."""

import threading
from collections import Counter
from typing import Any

import httpx
import pytest

from harness.api import define, events, trigger, unique, wait_run
from harness.cli import dead_letters, legato
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato_worker import NonRetryableError

pytestmark = pytest.mark.integration


def test_replay_of_a_graph_run_resumes_its_cancelled_siblings(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, charge, ship, notify = unique("replay-graph"), unique("charge"), unique("ship"), unique("notify")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "charge", "action": charge, "retry": {"maxAttempts": 1}},
                {"id": "ship", "action": ship},
                {"id": "notify", "action": notify, "dependsOn": ["charge", "ship"]},
            ],
        },
    )
    ship_calls: list[Any] = []
    first_ship = threading.Event()

    def on_charge(p: Any) -> Any:
        if p == "bad card":
            raise NonRetryableError("card declined")
        return {"charged": p}

    def on_ship(p: Any) -> int:
        ship_calls.append(p)
        if len(ship_calls) == 1:
            assert first_ship.wait(30)
        return len(ship_calls)

    run_id = trigger(api, wid, "bad card")
    with running_worker(orchestrator, {charge: on_charge, ship: on_ship, notify: lambda p: p}):
        failed = wait_run(api, run_id)
        assert failed["status"] == "FAILED"
        assert {s["id"]: s["status"] for s in failed["steps"]}["ship"] == "CANCELLED"
        until(lambda: dead_letters(orchestrator, "--run-id", run_id), 20, "the dead letter")
        out = legato(orchestrator, "dlt", "replay", "--run-id", run_id, "--payload", '"good card"')
        assert "replayed" in out.stdout
        until(lambda: len(ship_calls) == 2, 20, "ship to run again (its attempt had been cancelled)")
        run = wait_run(api, run_id)
        first_ship.set()  # the cancelled attempt ends late: ignored
        until(
            lambda: any(e["type"] == "RESULT_IGNORED" and e["stepId"] == "ship" for e in events(api, run_id)),
            20,
            "the cancelled attempt's result to be ignored",
        )
    assert run["status"] == "COMPLETED", run
    assert run["output"] == {"charge": {"charged": "good card"}, "ship": 2}
    completed = Counter(e["stepId"] for e in events(api, run_id) if e["type"] == "STEP_COMPLETED")
    assert completed == {"charge": 1, "ship": 1, "notify": 1}


def test_two_dead_items_of_a_running_map_are_replayed(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, each = unique("replay-items"), unique("each")
    step = {
        "id": "m",
        "action": each,
        "forEach": "input",
        "maxParallel": 4,
        "onItemFailure": "continue",
        "retry": {"maxAttempts": 1},
    }
    define(api, {"id": wid, "steps": [step]})
    calls: Counter[int] = Counter()
    slow_item = threading.Event()
    lock = threading.Lock()

    def on_item(n: int) -> int:
        with lock:
            calls[n] += 1
            first = calls[n] == 1
        if n in (1, 2) and first:
            raise NonRetryableError(f"item {n} fails once")
        if n == 3:
            assert slow_item.wait(30)  # keeps the map running while the dead items are replayed
        return n * 10

    run_id = trigger(api, wid, [0, 1, 2, 3])
    with running_worker(orchestrator, {each: on_item}):
        until(lambda: len(dead_letters(orchestrator, "--run-id", run_id)) == 2, 20, "two dead items")
        out = legato(orchestrator, "dlt", "replay", "--run-id", run_id)
        assert out.stdout.count("replayed") >= 2, out.stdout
        until(lambda: calls[1] == 2 and calls[2] == 2, 20, "both dead items to run again")
        slow_item.set()
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED" and run["output"] == [0, 10, 20, 30], run
    again = legato(orchestrator, "dlt", "replay", "--run-id", run_id, check=False)
    assert "already replayed" in again.stdout and calls[1] == 2 and calls[2] == 2
