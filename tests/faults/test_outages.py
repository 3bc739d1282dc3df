"""Redis and PostgreSQL outages: the orchestrator says what is down, pauses, and resumes."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack
from harness.services import require_stack
from harness.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LOGS = Path(__file__).parents[2] / ".legato" / "logs" / "tests"


@pytest.fixture
def private() -> Iterator[tuple[PrivateStack, Orchestrator]]:
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    stack = PrivateStack()
    stack.start("postgres", "redis")
    orch = Orchestrator(LOGS, redis_url=stack.redis_url, pg_url=stack.pg_url)
    orch.start()
    yield stack, orch
    orch.stop()
    stack.destroy()


def _until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_redis_down_refuses_keyed_triggers_but_not_plain_ones(
    private: tuple[PrivateStack, Orchestrator],
) -> None:
    stack, orch = private
    with httpx.Client(base_url=orch.url, timeout=10) as api:
        wid = unique("redis-out")
        define(api, {"id": wid, "steps": [{"action": unique("x"), "stepIndex": 0}]})
        stack.stop("redis")
        ready = api.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["redis"].startswith("down")
        assert ready.json()["database"] == "ok"
        keyed = api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers={"Idempotency-Key": "k"})
        assert keyed.status_code == 503
        assert "Redis" in keyed.json()["detail"]
        assert orch.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(0,)]
        plain = api.post(f"/workflow/{wid}/trigger", json={"input": 1})
        assert plain.status_code == 200
        stack.start("redis")
        _until(lambda: api.get("/readyz").status_code == 200)
        again = api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers={"Idempotency-Key": "k"})
        assert again.status_code == 200


def test_postgres_restart_pauses_and_resumes_without_losing_runs(
    private: tuple[PrivateStack, Orchestrator],
) -> None:
    stack, orch = private
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
            _until(lambda: orch.sql("SELECT count(*) FROM jobs WHERE state = 'DISPATCHED'") == [(1,)])
            stack.stop("postgres")
            gate_open.set()  # the result arrives while PostgreSQL is down
            down = api.get("/readyz")
            assert down.status_code == 503
            assert down.json()["database"].startswith("down")
            refused = api.post(f"/workflow/{wid}/trigger", json={"input": 2})
            assert refused.status_code == 503
            stack.start("postgres")
            _until(lambda: api.get("/readyz").status_code == 200, timeout=60)
            run = wait_run(api, run_id, timeout=60)
            later = trigger(api, wid, 5)
            assert wait_run(api, later)["output"] == 60
    assert run["status"] == "COMPLETED"
    assert run["output"] == 20
