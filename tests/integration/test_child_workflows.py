"""Child workflows: a workflow step runs another workflow, through real services."""

from typing import Any

import httpx
import pytest

from harness.api import define, events, get_run, step_of, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration


def children(orchestrator: Orchestrator, run_id: str) -> list[tuple[Any, ...]]:
    return orchestrator.sql(
        "SELECT run_id, parent_step_id, status, depth FROM runs WHERE parent_run_id = %s ORDER BY created_at",
        run_id,
    )


def test_a_child_run_completes_its_step_with_its_output(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    child, parent, pack = unique("shipping"), unique("order"), unique("pack")
    define(api, {"id": child, "steps": [{"id": "pack", "action": pack}]})
    define(api, {"id": child, "steps": [{"id": "pack", "action": pack, "input": {"v2": "${input}"}}]})
    define(
        api,
        {
            "id": parent,
            "steps": [
                {"id": "ship", "workflow": {"id": child}, "input": {"sku": "${input.sku}"}},
                {"id": "ship-v1", "workflow": {"id": child, "version": 1}, "input": "${input.sku}"},
            ],
        },
    )
    run_id = trigger(api, parent, {"sku": "A-1"})
    with running_worker(orchestrator, {pack: lambda p: {"packed": p}}):
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["output"] == {"ship": {"packed": {"v2": {"sku": "A-1"}}}, "ship-v1": {"packed": "A-1"}}
    ship = step_of(api, run_id, "ship")
    assert ship["kind"] == "workflow" and ship["workflow"] == {"id": child, "version": None}
    kid = get_run(api, ship["childRunId"])
    assert (kid["parentRunId"], kid["parentStepId"], kid["version"]) == (run_id, "ship", 2)
    assert get_run(api, step_of(api, run_id, "ship-v1")["childRunId"])["version"] == 1
    assert {e["type"] for e in events(api, run_id)} >= {"CHILD_STARTED", "CHILD_ENDED"}
    assert len(children(orchestrator, run_id)) == 2


def test_a_failed_child_fails_its_step_and_the_retry_policy_starts_a_new_child(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    child, parent, flaky = unique("flaky-child"), unique("retrying-parent"), unique("flaky")
    define(api, {"id": child, "steps": [{"id": "f", "action": flaky, "retry": {"maxAttempts": 1}}]})
    define(
        api,
        {
            "id": parent,
            "steps": [
                {"id": "c", "workflow": {"id": child}, "retry": {"maxAttempts": 3, "initialDelayMs": 100}}
            ],
        },
    )
    calls = 0

    def on_flaky(p: Any) -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RuntimeError(f"failure {calls}")
        return "third time"

    run_id = trigger(api, parent, None)
    with running_worker(orchestrator, {flaky: on_flaky}):
        run = wait_run(api, run_id)
    assert (run["status"], run["output"]) == ("COMPLETED", "third time"), " ".join(
        e["type"] + ":" + str((e["data"] or {}).get("retryInMs", "")) for e in events(api, run_id)
    )
    kids = children(orchestrator, run_id)
    assert [k[2] for k in kids] == ["FAILED", "FAILED", "COMPLETED"]  # one child per attempt
    assert step_of(api, run_id, "c")["childRunId"] == str(kids[-1][0])

    once = unique("no-retry-parent")
    define(api, {"id": once, "steps": [{"id": "c", "workflow": {"id": child}}]})
    calls = -100  # every call fails
    failed_id = trigger(api, once, None)
    with running_worker(orchestrator, {flaky: on_flaky}):
        failed = wait_run(api, failed_id)
    assert failed["status"] == "FAILED"
    assert (
        failed["error"]["type"] == "ChildFailed" and failed["error"]["childError"]["type"] == "RuntimeError"
    )


def test_cancelling_the_parent_cancels_its_open_children_and_theirs(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    leaf, middle, top = unique("leaf"), unique("middle"), unique("top")
    define(api, {"id": leaf, "steps": [{"id": "hold", "signal": {"name": "never"}}]})
    define(api, {"id": middle, "steps": [{"id": "l", "workflow": {"id": leaf}}]})
    define(api, {"id": top, "steps": [{"id": "m", "workflow": {"id": middle}}]})
    run_id = trigger(api, top, None)
    until(lambda: step_of(api, run_id, "m")["childRunId"] is not None, 20, "the middle child")
    middle_id = step_of(api, run_id, "m")["childRunId"]
    until(lambda: step_of(api, middle_id, "l")["childRunId"] is not None, 20, "the leaf child")
    leaf_id = step_of(api, middle_id, "l")["childRunId"]
    assert get_run(api, leaf_id)["status"] == "RUNNING"
    assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 200
    wait_run(api, middle_id, {"CANCELLED"}, timeout=20)
    wait_run(api, leaf_id, {"CANCELLED"}, timeout=20)


def test_a_cancelled_child_fails_its_parents_step(api: httpx.Client) -> None:
    leaf, parent = unique("cancelled-leaf"), unique("cancelled-parent")
    define(api, {"id": leaf, "steps": [{"id": "hold", "signal": {"name": "never"}}]})
    define(api, {"id": parent, "steps": [{"id": "c", "workflow": {"id": leaf}}]})
    run_id = trigger(api, parent, None)
    until(lambda: step_of(api, run_id, "c")["childRunId"] is not None, 20, "the child")
    assert api.post(f"/workflow/run/{step_of(api, run_id, 'c')['childRunId']}/cancel").status_code == 200
    run = wait_run(api, run_id, timeout=20)
    assert (run["status"], run["error"]["type"]) == ("FAILED", "ChildCancelled")


def test_a_workflow_that_starts_itself_stops_at_the_depth_limit(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, unknown = unique("recursive"), unique("calls-nothing")
    define(api, {"id": wid, "steps": [{"id": "again", "workflow": {"id": wid}}]})
    run_id = trigger(api, wid, None)
    deepest = orchestrator.sql("SELECT max(depth) FROM runs WHERE workflow_id = %s", wid)

    def all_failed() -> bool:
        rows = orchestrator.sql(
            "SELECT status, count(*) FROM runs WHERE workflow_id = %s GROUP BY status", wid
        )
        return dict(rows) == {"FAILED": 17}

    until(all_failed, 30, "every level failed")
    deepest = orchestrator.sql("SELECT max(depth) FROM runs WHERE workflow_id = %s", wid)
    assert deepest == [(16,)]
    bottom = orchestrator.sql("SELECT error->>'type' FROM runs WHERE workflow_id = %s AND depth = 16", wid)
    assert bottom == [("ChildDepthExceeded",)]
    assert get_run(api, run_id)["error"]["type"] == "ChildFailed"
    define(api, {"id": unknown, "steps": [{"id": "x", "workflow": {"id": unique("nowhere")}}]})
    failed = wait_run(api, trigger(api, unknown, None))
    assert failed["error"]["type"] == "UnknownWorkflow"
