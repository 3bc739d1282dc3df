"""A Kafka broker restart: triggers are still accepted (the outbox holds the jobs), and every run ends."""

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack
from harness.waiting import until
from harness.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_broker_restart_loses_no_run(private_kafka: tuple[PrivateStack, Orchestrator]) -> None:
    stack, orch = private_kafka
    wid, a, b, c = unique("kafka-out"), unique("a"), unique("b"), unique("c")
    with httpx.Client(base_url=orch.url, timeout=30) as api:
        define(api, {"id": wid, "steps": [{"action": a, "stepIndex": 0}, {"action": b, "stepIndex": 1}]})
        with running_worker(orch, {a: lambda p: p + 1, b: lambda p: p * 2}):
            assert wait_run(api, trigger(api, wid, 1))["output"] == 4
            stack.stop("kafka")
            down = api.get("/readyz")
            assert down.status_code == 503
            assert down.json()["kafka"].startswith("down")
            during = [trigger(api, wid, n) for n in range(10)]  # accepted: the outbox holds the jobs
            # a new definition needs its action's topic: refused whole (503), nothing stored
            late = {
                "id": unique("late"),
                "steps": [{"action": a, "stepIndex": 0}, {"action": c, "stepIndex": 1}],
            }
            refused = api.post("/workflow/", json=late)
            assert refused.status_code == 503 and "Kafka" in refused.json()["detail"], refused.text
            assert api.get(f"/workflow/{late['id']}").status_code == 404
            stack.start("kafka")
            until(lambda: api.get("/readyz").status_code == 200, 60, "Kafka back")
            runs = [wait_run(api, run_id, timeout=90) for run_id in during]
            assert define(api, late)["version"] == 1  # the same call again, now with its topic
        with running_worker(orch, {a: lambda p: p + 1, c: lambda p: p * 3}):
            made = wait_run(api, trigger(api, late["id"], 1), timeout=90)
    assert [r["output"] for r in runs] == [(n + 1) * 2 for n in range(10)]
    assert made["output"] == 6
