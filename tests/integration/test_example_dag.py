"""The order-fulfilment DAG example, end to end: its definition, trigger body and Python worker."""

import json
import sys
from pathlib import Path

import httpx
import pytest

from harness.api import events, wait_run
from harness.orchestrator import REPO, Orchestrator
from harness.workers import running_worker

sys.path.insert(0, str(REPO / "examples" / "python"))
import dag_worker

pytestmark = pytest.mark.integration
WORKFLOWS = REPO / "examples" / "workflows"


def _load(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(Path(WORKFLOWS / name).read_text())
    return loaded


def test_order_fulfilment_dag_example_ships_the_order(api: httpx.Client, orchestrator: Orchestrator) -> None:
    definition = _load("order-fulfilment-dag.json")
    assert api.post("/workflow/", json=definition).status_code in (200, 201)
    r = api.post(f"/workflow/{definition['id']}/trigger", json=_load("order-fulfilment-dag.trigger.json"))
    with running_worker(orchestrator, dag_worker.HANDLERS):
        run = wait_run(api, r.json()["runId"], timeout=60)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["output"]["to"] == "grace@example.com"
    steps = {s["id"]: s for s in run["steps"]}
    assert steps["fraud-review"]["status"] == "SKIPPED"
    assert steps["reserve"]["items"] == {"total": 3, "completed": 3}
    assert steps["ship"]["input"]["reservations"] == steps["reserve"]["output"]
    types = [e["type"] for e in events(api, run["runId"])]
    assert {"STEP_SKIPPED", "TIMER_CREATED", "TIMER_FIRED", "ITEM_COMPLETED"} <= set(types)
