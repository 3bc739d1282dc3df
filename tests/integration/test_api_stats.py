"""GET /workflow/{id}/versions, /workflow/stats, /stats/overview and /workers (lag, languages,
actions with jobs but no worker), through a real orchestrator, Kafka and worker."""

from typing import Any

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration


def _fail(payload: Any) -> Any:
    raise ValueError("no")


def test_versions_stats_and_overview(api: httpx.Client, orchestrator: Orchestrator) -> None:
    ok, bad = unique("ok"), unique("bad")
    wid = unique("counted")
    define(api, {"id": wid, "steps": [{"id": "a", "action": ok}]})
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "a", "action": ok},
                {"id": "b", "action": bad, "dependsOn": ["a"], "retry": {"maxAttempts": 1}},
            ],
        },
    )
    versions = api.get(f"/workflow/{wid}/versions").json()
    assert [v["version"] for v in versions["versions"]] == [1, 2]
    assert [len(v["steps"]) for v in versions["versions"]] == [1, 2] and versions["versions"][0]["createdAt"]
    assert api.get(f"/workflow/{unique('never')}/versions").status_code == 404

    runs = [trigger(api, wid, n) for n in range(3)]
    with running_worker(orchestrator, {ok: lambda p: p, bad: _fail}):
        for run_id in runs:
            assert wait_run(api, run_id)["status"] == "FAILED"

    stats = api.get("/workflow/stats", params={"window": "1h"}).json()
    assert stats["windowSeconds"] == 3600
    [mine] = [w for w in stats["workflows"] if w["workflowId"] == wid]
    assert mine == {
        "workflowId": wid,
        "latestVersion": 2,
        "started": 3,
        "completed": 0,
        "failed": 3,
        "cancelled": 0,
        "running": 0,
        "failureRate": 1.0,
    }
    for window in ("0h", "1y", "91d", "h", "30s"):
        assert api.get("/workflow/stats", params={"window": window}).status_code == 422, window

    overview = api.get("/stats/overview", params={"window": "15m"}).json()
    assert overview["windowSeconds"] == 900 and 15 <= len(overview["minutes"]) <= 17
    minutes = overview["minutes"]
    assert sum(m["runsStarted"] for m in minutes) >= 3 and sum(m["runsFinished"] for m in minutes) >= 3
    assert sum(m["stepsCompleted"] for m in minutes) >= 3 and sum(m["stepsFailed"] for m in minutes) >= 3
    latency = overview["latency"]
    assert latency["sampled"] >= 6
    assert 0 <= latency["executionSeconds"]["p50"] <= latency["executionSeconds"]["p99"]
    assert set(latency["queueSeconds"]) == {"p50", "p95", "p99"}
    assert api.get("/stats/overview", params={"window": "2d"}).status_code == 422


def test_workers_show_languages_lag_and_actions_without_a_worker(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    served, orphan = unique("served"), unique("orphan")
    wid = unique("workers")
    define(api, {"id": wid, "steps": [{"id": "a", "action": served}, {"id": "b", "action": orphan}]})
    trigger(api, wid, 1)
    trigger(api, wid, 2)

    def seen() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get("/workers").json()
        info = body["actions"].get(served)
        gone = {n["action"]: n for n in body["noWorker"]}
        if info and info["workers"] and info["lag"] == 0 and gone.get(orphan, {}).get("lag") == 2:
            return body
        return None

    with running_worker(orchestrator, {served: lambda p: p}):
        until(seen, 30, "the worker listed, its lag 0, the orphan action's 2 jobs waiting")
        body = seen()
        assert body is not None
    info = body["actions"][served]
    assert info["languages"] == ["python"] and {w["language"] for w in info["workers"]} == {"python"}
    [lost] = [n for n in body["noWorker"] if n["action"] == orphan]
    assert lost["queuedJobs"] == 2 and lost["openJobs"] == 2
    assert body["lagError"] is None
    for run in api.get("/workflow/runs", params={"workflowId": wid}).json()["runs"]:
        api.post(f"/workflow/run/{run['runId']}/cancel")
