"""Retry and cancel are exact: attempts of an earlier generation never count, a cancel racing a
result batch never lets a cancelled run complete, and counters never drift."""

import threading
from collections import Counter
from typing import Any

import httpx
import pytest

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato_worker import NonRetryableError

pytestmark = pytest.mark.integration


class Gate:
    """Calls of a handler, each blocked until the test opens its gate."""

    def __init__(self) -> None:
        self.calls: list[Any] = []
        self.gates: dict[int, threading.Event] = {}
        self.lock = threading.Lock()

    def call(self, payload: Any) -> int:
        with self.lock:
            self.calls.append(payload)
            n = len(self.calls)
            gate = self.gates.setdefault(n, threading.Event())
        assert gate.wait(30), f"call {n} never released"
        return n

    def open(self, n: int) -> None:
        with self.lock:
            self.gates.setdefault(n, threading.Event()).set()


def _ignored(api: httpx.Client, run_id: str, step_id: str) -> int:
    return sum(1 for e in events(api, run_id) if e["type"] == "RESULT_IGNORED" and e["stepId"] == step_id)


def test_retry_with_a_slow_sibling_still_running_ignores_its_old_attempt(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, fast, slow, join = unique("sibling"), unique("fast"), unique("slow"), unique("join")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "b", "action": fast, "retry": {"maxAttempts": 1}},
                {"id": "c", "action": slow},
                {"id": "d", "action": join, "dependsOn": ["b", "c"]},
            ],
        },
    )
    b_calls: list[Any] = []
    c = Gate()

    def on_b(p: Any) -> str:
        b_calls.append(p)
        if len(b_calls) == 1:
            # Fail only once c runs: a failed run withdraws its queued siblings (protocol v2), so a
            # c still queued would never start at all.
            until(lambda: len(c.calls) == 1, 20, "c's first attempt to start")
            raise NonRetryableError("first time unlucky")
        return "b-ok"

    joined: list[Any] = []
    run_id = trigger(api, wid, "go")
    with running_worker(orchestrator, {fast: on_b, slow: c.call, join: lambda p: joined.append(p) or p}):
        assert wait_run(api, run_id)["status"] == "FAILED"  # b died while c's first call still runs
        assert len(c.calls) == 1
        r = api.post(f"/workflow/run/{run_id}/retry")
        assert r.status_code == 200 and sorted(r.json()["retriedSteps"]) == ["b", "c", "d"]
        until(lambda: len(c.calls) == 2, 20, "c's attempt of the new generation to start")
        c.open(1)  # the old attempt ends now: its result belongs to the old generation
        until(lambda: _ignored(api, run_id, "c") == 1, 20, "the old attempt's result to be ignored")
        assert api.get(f"/workflow/run/{run_id}").json()["status"] == "RUNNING"
        c.open(2)
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED", run
    assert joined == [{"b": "b-ok", "c": 2}]
    assert run["output"] == {"b": "b-ok", "c": 2}
    completed = Counter(e["stepId"] for e in events(api, run_id) if e["type"] == "STEP_COMPLETED")
    assert completed == {"b": 1, "c": 1, "d": 1}


def test_retry_of_a_fail_fast_map_with_items_in_flight(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, each = unique("fail-fast"), unique("each")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {
                    "id": "m",
                    "action": each,
                    "forEach": "input",
                    "maxParallel": 6,
                    "retry": {"maxAttempts": 1},
                }
            ],
        },
    )
    seen: Counter[int] = Counter()
    first_gen, second_gen = threading.Event(), threading.Event()
    lock = threading.Lock()

    def on_item(n: int) -> dict[str, int]:
        with lock:
            seen[n] += 1
            call = seen[n]
        if n == 0 and call == 1:
            raise NonRetryableError("item 0 fails first")
        assert (first_gen if call == 1 else second_gen).wait(30)
        return {"n": n, "call": call}

    run_id = trigger(api, wid, list(range(6)))
    with running_worker(orchestrator, {each: on_item}):
        assert wait_run(api, run_id)["status"] == "FAILED"
        until(lambda: sum(seen.values()) == 6, 20, "every item of the first generation to start")
        assert api.post(f"/workflow/run/{run_id}/retry").status_code == 200
        until(lambda: all(seen[n] == 2 for n in range(6)), 20, "the new generation of every item")
        first_gen.set()  # the old generation's results arrive while the new one runs: ignored
        until(lambda: _ignored(api, run_id, "m") == 5, 20, "five late results ignored")
        assert api.get(f"/workflow/run/{run_id}").json()["status"] == "RUNNING"
        second_gen.set()
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED" and run["output"] == [{"n": n, "call": 2} for n in range(6)]
    assert [e["type"] for e in events(api, run_id)].count("STEP_COMPLETED") == 1


def test_cancel_racing_result_batches_never_completes_a_cancelled_run(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, first, second = unique("race"), unique("first"), unique("second")
    define(api, {"id": wid, "steps": [{"action": first, "stepIndex": 0}, {"action": second, "stepIndex": 1}]})
    runs = [trigger(api, wid, n) for n in range(80)]
    codes: Counter[int] = Counter()

    def cancel_all() -> None:
        with httpx.Client(base_url=orchestrator.url, timeout=30) as client:
            for run_id in runs:
                codes[client.post(f"/workflow/run/{run_id}/cancel").status_code] += 1

    with running_worker(orchestrator, {first: lambda n: n + 1, second: lambda n: n * 2}):
        canceller = threading.Thread(target=cancel_all)
        canceller.start()
        canceller.join(60)
        finished = [wait_run(api, r) for r in runs]
    assert set(codes) <= {200, 409} and sum(codes.values()) == 80, codes
    for run in finished:
        history = [e["type"] for e in events(api, run["runId"])]
        if run["status"] == "CANCELLED":
            assert "RUN_COMPLETED" not in history
            assert all(s["status"] in ("CANCELLED", "COMPLETED") for s in run["steps"])
            tail = history[history.index("RUN_CANCELLED") + 1 :]
            assert "STEP_COMPLETED" not in tail and "STEP_SCHEDULED" not in tail, history
        else:
            assert run["status"] == "COMPLETED" and run["output"] == (run["input"] + 1) * 2
            assert "RUN_CANCELLED" not in history
    assert api.get("/readyz").status_code == 200


def test_a_run_left_with_nothing_to_run_is_reported_and_resumed(tmp_path: Any) -> None:
    from harness.services import require_stack

    require_stack()
    orch = Orchestrator(tmp_path, LEGATO_RECONCILE_INTERVAL_MS="500")
    orch.start()
    try:
        wid, action = unique("stuck"), unique("stuck-step")
        with httpx.Client(base_url=orch.url, timeout=30) as api:
            define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
            run_id = trigger(api, wid, 20)
            until(
                lambda: orch.sql("SELECT count(*) FROM jobs WHERE run_id::text = %s", run_id)[0][0] == 1, 20
            )
            orch.sql_script(f"DELETE FROM jobs WHERE run_id = '{run_id}'")  # the run's only job is lost
            until(lambda: any(e["type"] == "RUN_RESUMED" for e in events(api, run_id)), 30, "RUN_RESUMED")
            with running_worker(orch, {action: lambda n: n + 1}):
                run = wait_run(api, run_id)
            metrics = api.get("/metrics").text
        assert run["status"] == "COMPLETED" and run["output"] == 21
        assert "legato_runs_stuck_total 1.0" in metrics
    finally:
        orch.drop()


def test_two_orchestrators_racing_retries_and_cancels_apply_nothing_twice(
    fresh_orchestrator: Orchestrator,
) -> None:
    one = fresh_orchestrator
    two = one.twin()
    two.start()
    try:
        wid, flaky, then = unique("twins"), unique("flaky"), unique("then")
        steps = [
            {"id": "a", "action": flaky, "retry": {"maxAttempts": 1}},
            {"id": "b", "action": then, "dependsOn": ["a"]},
        ]
        calls: Counter[int] = Counter()
        lock = threading.Lock()

        def on_a(n: int) -> int:
            with lock:
                calls[n] += 1
                first = calls[n] == 1
            if first:
                raise NonRetryableError("fails once")
            return n + 1

        with httpx.Client(base_url=one.url, timeout=30) as api:
            define(api, {"id": wid, "steps": steps})
            runs = [trigger(api, wid, n) for n in range(40)]
            codes: Counter[int] = Counter()

            def operate(url: str, order: list[str], cancel_every: int) -> None:
                with httpx.Client(base_url=url, timeout=30) as client:
                    for k, run_id in enumerate(order):
                        until(
                            lambda r=run_id: client.get(f"/workflow/run/{r}").json()["status"] != "RUNNING",
                            30,
                        )
                        op = "cancel" if k % cancel_every == 0 else "retry"
                        codes[client.post(f"/workflow/run/{run_id}/{op}").status_code] += 1

            with running_worker(one, {flaky: on_a, then: lambda n: n * 2}):
                ops = [
                    threading.Thread(target=operate, args=(one.url, runs, 7)),
                    threading.Thread(target=operate, args=(two.url, runs[::-1], 5)),
                ]
                for t in ops:
                    t.start()
                for t in ops:
                    t.join(120)
                finished = [wait_run(api, r, timeout=60) for r in runs]
            assert set(codes) <= {200, 409}, codes
            for run in finished:
                history = events(api, run["runId"])
                completed = Counter(e["stepId"] for e in history if e["type"] == "STEP_COMPLETED")
                assert all(n == 1 for n in completed.values()), (run["runId"], completed)
                if run["status"] == "COMPLETED":
                    assert run["output"] == (run["input"] + 1) * 2 and completed == {"a": 1, "b": 1}
                else:
                    assert run["status"] in ("CANCELLED", "FAILED"), run["status"]
    finally:
        two.stop()
