"""GET /workflow/runs (filters, keyset pages), /workflow/runs/counts, bulk cancel and retry, and a
run's attempts, through a real orchestrator."""

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from harness.api import define, events, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration


def _trigger(api: httpx.Client, wid: str, value: Any, **headers: str) -> str:
    r = api.post(f"/workflow/{wid}/trigger", json={"input": value}, headers=headers)
    assert r.status_code == 200, r.text
    run_id: str = r.json()["runId"]
    return run_id


def _runs(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    r = api.get("/workflow/runs", params=params)
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()["runs"]
    return out


def _ids(api: httpx.Client, **params: Any) -> list[str]:
    return [r["runId"] for r in _runs(api, **params)]


@pytest.fixture
def idle_runs(api: httpx.Client) -> tuple[str, list[str]]:
    """Five RUNNING runs of a workflow whose action has no worker, newest last."""
    wid = unique("listed")
    define(api, {"id": wid, "steps": [{"action": unique("nobody"), "stepIndex": 0}]})
    runs = [
        _trigger(api, wid, {"n": 0, "tag": "needle-50%"}, **{"X-Correlation-Id": "order-0"}),
        _trigger(api, wid, {"n": 1}, **{"Idempotency-Key": "key-1"}),
        _trigger(api, wid, {"n": 2, "tag": "NEEDLE-50%"}),
        _trigger(api, wid, {"n": 3, "tag": "needle-500"}),
        _trigger(api, wid, {"n": 4}),
    ]
    return wid, runs


def test_filters_and_pages(api: httpx.Client, idle_runs: tuple[str, list[str]]) -> None:
    wid, runs = idle_runs
    newest_first = list(reversed(runs))
    listed = _runs(api, workflowId=wid)
    assert [r["runId"] for r in listed] == newest_first
    first = listed[-1]
    assert first["status"] == "RUNNING" and first["version"] == 1 and first["error"] is None
    assert (first["correlationId"], first["idempotencyKey"]) == ("order-0", None)
    assert set(first) >= {"runId", "workflowId", "version", "status", "createdAt", "endedAt"}

    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"workflowId": wid, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/workflow/runs", params=params).json()
        pages.append([r["runId"] for r in body["runs"]])
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]

    assert _ids(api, workflowId=wid, status="RUNNING,FAILED") == newest_first
    assert _ids(api, workflowId=wid, status=["FAILED", "COMPLETED"]) == []
    assert _ids(api, workflowId=wid, q="needle-50%") == [runs[2], runs[0]]  # % is literal, any case
    assert _ids(api, workflowId=wid, q="needle-50%", limit=1) == [runs[2]]
    assert _ids(api, runId=runs[3]) == [runs[3]]
    assert _ids(api, idempotencyKey="key-1", workflowId=wid) == [runs[1]]
    assert _ids(api, correlationId="order-0") == [runs[0]]
    assert _ids(api, workflowId=wid, version=2) == []
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert _ids(api, workflowId=wid, createdAfter=later) == []
    assert _ids(api, workflowId=wid, createdBefore=later) == newest_first
    created = [r["createdAt"] for r in listed]
    assert _ids(api, workflowId=wid, createdAfter=created[1], createdBefore=created[0]) == [newest_first[1]]

    counts = api.get("/workflow/runs/counts", params={"workflowId": wid}).json()["counts"]
    assert counts == {"PENDING": 0, "RUNNING": 5, "PAUSED": 0, "COMPLETED": 0, "FAILED": 0, "CANCELLED": 0}
    searched = api.get("/workflow/runs/counts", params={"workflowId": wid, "q": "needle"}).json()
    assert searched["counts"]["RUNNING"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"status": "BOGUS"},
        {"limit": 501},
        {"limit": 0},
        {"cursor": "not-a-cursor"},
        {"runId": "nope"},
        {"createdAfter": "yesterday"},
        {"version": 0},
        {"q": ""},
        {"workflowId": "a\x00b"},
    ],
)
def test_bad_filters_get_422(api: httpx.Client, params: dict[str, Any]) -> None:
    r = api.get("/workflow/runs", params=params)
    assert r.status_code == 422, r.text


def test_bulk_cancel_dry_run_then_by_ids_then_by_filter(
    api: httpx.Client, orchestrator: Orchestrator, idle_runs: tuple[str, list[str]]
) -> None:
    wid, runs = idle_runs
    dry = api.post(
        "/workflow/runs/cancel", json={"filter": {"workflowId": wid, "q": "needle"}, "dryRun": True}
    )
    assert dry.status_code == 200, dry.text
    assert dry.json() == {
        "matched": 3,
        "changed": 3,
        "dryRun": True,
        "runIds": [runs[3], runs[2], runs[0]],
        "more": False,
    }
    limited = api.post(
        "/workflow/runs/cancel", json={"filter": {"workflowId": wid}, "dryRun": True, "limit": 2}
    )
    assert (limited.json()["matched"], limited.json()["more"]) == (2, True)
    assert _ids(api, workflowId=wid, status="RUNNING") == list(reversed(runs))  # nothing changed

    missing = str(uuid.uuid4())
    by_ids = api.post("/workflow/runs/cancel", json={"runIds": [runs[1], missing]}).json()
    assert by_ids == {"matched": 1, "changed": 1, "dryRun": False, "runIds": [runs[1]], "more": False}
    cancelled = [e for e in events(api, runs[1]) if e["type"] == "RUN_CANCELLED"]
    [data] = [e["data"] for e in cancelled]
    assert data.items() >= {"previousStatus": "RUNNING", "steps": 1, "jobs": 1, "bulk": True}.items()

    rest = api.post("/workflow/runs/cancel", json={"filter": {"workflowId": wid, "status": "RUNNING,FAILED"}})
    assert rest.json()["matched"] == 4 and rest.json()["changed"] == 4
    again = api.post("/workflow/runs/cancel", json={"filter": {"workflowId": wid}}).json()
    assert (again["matched"], again["changed"]) == (0, 0)
    counts = api.get("/workflow/runs/counts", params={"workflowId": wid}).json()["counts"]
    assert (counts["RUNNING"], counts["CANCELLED"]) == (0, 5)
    [job_state] = {
        r[0]
        for r in orchestrator.sql(
            "SELECT state FROM jobs WHERE run_id = ANY(%s)", [uuid.UUID(r) for r in runs]
        )
    }
    assert job_state == "CANCELLED"
    withdrawn = orchestrator.sql(
        "SELECT count(*) FROM run_events WHERE run_id = ANY(%s) AND type = 'RUN_CANCELLED'",
        [uuid.UUID(r) for r in runs],
    )
    assert withdrawn == [(5,)]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"runIds": [], "dryRun": True},
        {"runIds": ["x"]},
        {"runIds": [str(uuid.uuid4())], "filter": {}},
        {"filter": {"status": "NOPE"}},
        {"filter": {"unknown": 1}},
        {"filter": {}, "limit": 10_001},
        {"runIds": [str(uuid.uuid4()) for _ in range(3)], "limit": 2},
    ],
)
def test_bad_bulk_bodies_get_422(api: httpx.Client, body: dict[str, Any]) -> None:
    for op in ("cancel", "retry"):
        r = api.post(f"/workflow/runs/{op}", json=body)
        assert r.status_code == 422, (op, body, r.text)


def test_bulk_retry_and_the_attempts_of_a_retried_run(api: httpx.Client, orchestrator: Orchestrator) -> None:
    action = unique("flaky")
    wid = unique("retried")
    define(api, {"id": wid, "steps": [{"id": "only", "action": action, "retry": {"maxAttempts": 1}}]})
    broken = threading.Event()
    broken.set()
    calls: list[Any] = []

    def handler(payload: Any) -> Any:
        if broken.is_set():
            raise ConnectionError("refused")
        calls.append(payload)
        return payload

    runs = [_trigger(api, wid, n) for n in range(3)]
    with running_worker(orchestrator, {action: handler}):
        for run_id in runs:
            assert wait_run(api, run_id)["status"] == "FAILED"
        failed = _runs(api, workflowId=wid, status="FAILED")
        assert failed[0]["error"]["stepId"] == "only" and failed[0]["error"]["type"] == "ConnectionError"

        dry = api.post("/workflow/runs/retry", json={"filter": {"workflowId": wid}, "dryRun": True}).json()
        assert (dry["matched"], dry["changed"], dry["dryRun"]) == (3, 3, True)
        assert len(_runs(api, workflowId=wid, status="FAILED")) == 3

        broken.clear()
        done = api.post("/workflow/runs/retry", json={"runIds": runs[:2]}).json()
        assert (done["matched"], done["changed"]) == (2, 2)
        for run_id in runs[:2]:
            assert wait_run(api, run_id, {"COMPLETED"})["status"] == "COMPLETED"
        retried = [e for e in events(api, runs[0]) if e["type"] == "RUN_RETRIED"]
        [data] = [e["data"] for e in retried]
        assert data.items() >= {"steps": ["only"], "bulk": True}.items()
        rest = api.post("/workflow/runs/retry", json={"filter": {"workflowId": wid}}).json()
        assert (rest["matched"], rest["changed"], rest["runIds"]) == (1, 1, [runs[2]])
        wait_run(api, runs[2], {"COMPLETED"})
    assert sorted(calls) == [0, 1, 2]

    body = api.get(f"/workflow/run/{runs[0]}/attempts").json()
    states = [(a["stepId"], a["attempt"], a["state"]) for a in body["attempts"]]
    assert states == [("only", 1, "FAILED"), ("only", 1, "COMPLETED")]
    first, second = body["attempts"]
    assert first["createdAt"] <= second["createdAt"] and first["item"] is None
    assert second["dispatchedAt"] and second["finishedAt"] and second["requeues"] == 0
    assert body["waits"] == [] and body["nextCursor"] is None
    page1 = api.get(f"/workflow/run/{runs[0]}/attempts", params={"limit": 1}).json()
    assert [a["jobId"] for a in page1["attempts"]] == [first["jobId"]]
    page2 = api.get(f"/workflow/run/{runs[0]}/attempts", params={"limit": 1, "cursor": page1["nextCursor"]})
    assert [a["jobId"] for a in page2.json()["attempts"]] == [second["jobId"]]
    assert api.get(f"/workflow/run/{uuid.uuid4()}/attempts").status_code == 404
    assert api.get(f"/workflow/run/{runs[0]}/attempts", params={"cursor": "zz"}).status_code == 422


def test_attempts_show_waits(api: httpx.Client) -> None:
    wid = unique("napping")
    define(api, {"id": wid, "steps": [{"id": "nap", "wait": {"seconds": 60}}]})
    run_id = _trigger(api, wid, None)
    until(
        lambda: api.get(f"/workflow/run/{run_id}/attempts").json()["waits"][0]["wakeAt"], 10, "wait started"
    )
    [wait] = api.get(f"/workflow/run/{run_id}/attempts").json()["waits"]
    assert wait["stepId"] == "nap" and wait["status"] == "WAITING" and wait["startedAt"]
    api.post(f"/workflow/run/{run_id}/cancel")
