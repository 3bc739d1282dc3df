"""The seed system's exact requests, through real Kafka, PostgreSQL, Redis and Python workers."""

import uuid

import httpx
import pytest

from harness.api import events, wait_run
from harness.orchestrator import Orchestrator
from harness.workers import running_worker

pytestmark = pytest.mark.integration

SEED = {
    "id": "my-first-workflow",
    "steps": [{"action": "step1", "stepIndex": 0}, {"action": "step2", "stepIndex": 1}],
}
SEED_KEY = f"seed-key-{uuid.uuid4().hex[:8]}"
HANDLERS = {"step1": lambda p: f"Processed: {p}", "step2": lambda p: f"Step 2 done: {p}"}


def test_seed_define_trigger_twice_and_complete(api: httpx.Client, orchestrator: Orchestrator) -> None:
    r = api.post("/workflow/", json=SEED)
    assert r.status_code in (200, 201)
    assert r.json()["id"] == "my-first-workflow"

    first = api.post(
        "/workflow/my-first-workflow/trigger",
        json={"input": "Hello World"},
        headers={"Idempotency-Key": SEED_KEY},
    )
    again = api.post(
        "/workflow/my-first-workflow/trigger",
        json={"input": "Hello World"},
        headers={"Idempotency-Key": SEED_KEY},
    )
    assert first.status_code == 200 and again.status_code == 200
    assert first.json()["runId"] == again.json()["runId"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers

    with running_worker(orchestrator, HANDLERS):
        run = wait_run(api, first.json()["runId"])

    assert run["status"] == "COMPLETED"
    assert run["workflowId"] == "my-first-workflow"
    assert run["input"] == "Hello World"
    assert run["output"] == "Step 2 done: Processed: Hello World"
    steps = {s["id"]: s for s in run["steps"]}
    assert steps["step1"]["output"] == "Processed: Hello World"
    assert steps["step1"]["status"] == "COMPLETED" and steps["step1"]["attempts"] == 1
    assert steps["step2"]["input"] == "Processed: Hello World"
    types = [e["type"] for e in events(api, run["runId"])]
    assert types == [
        "RUN_CREATED",
        "STEP_SCHEDULED",
        "STEP_COMPLETED",
        "STEP_SCHEDULED",
        "STEP_COMPLETED",
        "RUN_COMPLETED",
    ]
    ids = [e["id"] for e in events(api, run["runId"])]
    assert ids == sorted(ids)


def test_redefining_makes_a_new_version_and_runs_keep_theirs(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = "versioned-flow"
    v1 = api.post("/workflow/", json={"id": wid, "steps": [{"action": "step1", "stepIndex": 0}]})
    same = api.post("/workflow/", json={"id": wid, "steps": [{"action": "step1", "stepIndex": 0}]})
    assert v1.status_code == 201 and same.status_code == 200
    assert v1.json()["version"] == same.json()["version"] == 1
    run_v1 = api.post(f"/workflow/{wid}/trigger", json={"input": "a"}).json()["runId"]
    v2 = api.post(
        "/workflow/",
        json={"id": wid, "steps": [{"action": "step1", "stepIndex": 0}, {"action": "step2", "stepIndex": 1}]},
    )
    assert v2.status_code == 201 and v2.json()["version"] == 2
    run_v2 = api.post(f"/workflow/{wid}/trigger", json={"input": "b"}).json()["runId"]
    with running_worker(orchestrator, HANDLERS):
        a = wait_run(api, run_v1)
        b = wait_run(api, run_v2)
    assert (a["version"], a["output"]) == (1, "Processed: a")
    assert (b["version"], b["output"]) == (2, "Step 2 done: Processed: b")
    assert api.get(f"/workflow/{wid}").json()["version"] == 2
    assert api.get(f"/workflow/{wid}", params={"version": 1}).json()["steps"] == [
        {"action": "step1", "stepIndex": 0}
    ]
    listed = {w["id"]: w["version"] for w in api.get("/workflow/").json()["workflows"]}
    assert listed[wid] == 2
