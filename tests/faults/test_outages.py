"""Redis and PostgreSQL outages: the orchestrator says what is down, pauses, and resumes."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack
from harness.waiting import until
from harness.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_redis_down_keeps_keyed_and_plain_triggers_working(
    private_db: tuple[PrivateStack, Orchestrator],
) -> None:
    stack, orch = private_db
    with httpx.Client(base_url=orch.url, timeout=10) as api:
        wid = unique("redis-out")
        define(api, {"id": wid, "steps": [{"action": unique("x"), "stepIndex": 0}]})
        stack.stop("redis")
        ready = api.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["redis"].startswith("down")
        assert ready.json()["database"] == "ok"
        # PostgreSQL is the record of idempotency keys: keyed triggers stay exact without Redis.
        keyed = api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers={"Idempotency-Key": "k"})
        assert keyed.status_code == 200
        run_id = keyed.json()["runId"]
        replay = api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers={"Idempotency-Key": "k"})
        assert replay.json()["runId"] == run_id and replay.headers["Idempotent-Replayed"] == "true"
        assert orch.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(1,)]
        plain = api.post(f"/workflow/{wid}/trigger", json={"input": 1})
        assert plain.status_code == 200
        stack.start("redis")
        until(lambda: api.get("/readyz").status_code == 200, 30, "Redis back")
        again = api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers={"Idempotency-Key": "k"})
        assert again.status_code == 200 and again.json()["runId"] == run_id


def test_postgres_restart_pauses_and_resumes_without_losing_runs(
    private_db: tuple[PrivateStack, Orchestrator],
) -> None:
    stack, orch = private_db
    wid, first, second = unique("pg-out"), unique("first"), unique("second")
    gate_open = threading.Event()

    def held(payload: int) -> int:
        gate_open.wait(60)  # finishes only once the database is down
        return payload + 1

    with httpx.Client(base_url=orch.url, timeout=30) as api:
        define(
            api, {"id": wid, "steps": [{"action": first, "stepIndex": 0}, {"action": second, "stepIndex": 1}]}
        )
        run_id = trigger(api, wid, 1)
        with running_worker(orch, {first: held, second: lambda p: p * 10}):
            until(lambda: orch.sql("SELECT count(*) FROM jobs WHERE state = 'DISPATCHED'") == [(1,)])
            stack.stop("postgres")
            gate_open.set()  # the result arrives while PostgreSQL is down
            down = api.get("/readyz")
            assert down.status_code == 503
            assert down.json()["database"].startswith("down")
            sent = threading.Event()
            hooks = {"request": [lambda _: sent.set()]}
            with (  # a trigger sent while PostgreSQL is down waits it out (runs.batcher)
                httpx.Client(base_url=orch.url, timeout=30, event_hooks=hooks) as waiter,
                ThreadPoolExecutor(1) as pool,
            ):
                waiting = pool.submit(waiter.post, f"/workflow/{wid}/trigger", json={"input": 2})
                assert sent.wait(10)
                stack.start("postgres")
                accepted = waiting.result(30)
            assert accepted.status_code == 200, accepted.text
            until(lambda: api.get("/readyz").status_code == 200, 60, "PostgreSQL back")
            run = wait_run(api, run_id, timeout=60)
            assert wait_run(api, accepted.json()["runId"])["output"] == 30
            later = trigger(api, wid, 5)
            assert wait_run(api, later)["output"] == 60
    assert run["status"] == "COMPLETED"
    assert run["output"] == 20
