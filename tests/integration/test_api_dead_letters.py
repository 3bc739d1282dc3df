"""GET /dead-letters, GET /dead-letters/{id}, POST /dead-letters/replay: the table `legato dlt`
reads, replayed by the same code, through a real orchestrator and worker."""

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration


class _Refusing:
    """Fails while `broken` is set; echoes its input once it is cleared."""

    def __init__(self, broken: threading.Event) -> None:
        self.broken = broken
        self.calls: list[Any] = []

    def __call__(self, payload: Any) -> Any:
        if self.broken.is_set():
            raise ConnectionError("refused")
        self.calls.append(payload)
        return {"done": payload}


def _dead(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    r = api.get("/dead-letters", params=params)
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()["deadLetters"]
    return out


def test_list_show_and_replay_once(api: httpx.Client, orchestrator: Orchestrator) -> None:
    action = unique("gateway")
    wid = unique("dl-api")
    define(api, {"id": wid, "steps": [{"id": "call", "action": action, "retry": {"maxAttempts": 1}}]})
    broken = threading.Event()
    broken.set()
    handler = _Refusing(broken)
    runs = [trigger(api, wid, {"order": n}) for n in range(3)]
    with running_worker(orchestrator, {action: handler}):
        for run_id in runs:
            assert wait_run(api, run_id)["status"] == "FAILED"
        until(lambda: len(_dead(api, workflowId=wid)) == 3, 30, "3 dead letters")
        rows = _dead(api, workflowId=wid)
        assert [r["deadAt"] for r in rows] == sorted((r["deadAt"] for r in rows), reverse=True)
        assert {r["runId"] for r in rows} == set(runs)
        row = next(r for r in rows if r["runId"] == runs[0])
        assert (row["stepId"], row["item"], row["action"], row["attempt"], row["version"]) == (
            "call",
            None,
            action,
            1,
            1,
        )
        assert (row["errorType"], row["reason"], row["replayedAt"]) == (
            "ConnectionError",
            "retries-exhausted",
            None,
        )

        page1 = api.get("/dead-letters", params={"workflowId": wid, "limit": 2}).json()
        page2 = api.get(
            "/dead-letters", params={"workflowId": wid, "limit": 2, "cursor": page1["nextCursor"]}
        )
        assert [r["id"] for r in page1["deadLetters"] + page2.json()["deadLetters"]] == [
            r["id"] for r in rows
        ]
        assert page2.json()["nextCursor"] is None
        assert _dead(api, action=action, errorType="ValueError") == []
        assert [r["id"] for r in _dead(api, runId=runs[0])] == [row["id"]]
        later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert _dead(api, workflowId=wid, since=later) == []

        shown = api.get(f"/dead-letters/{row['id']}").json()
        assert shown["payload"] == {"order": 0} and shown["payloadKept"] is True
        assert shown["headers"]["legato-job-id"] == row["id"]
        assert api.get(f"/dead-letters/{uuid.uuid4()}").status_code == 404
        assert api.get("/dead-letters/not-an-id").status_code == 422

        dry = api.post("/dead-letters/replay", json={"ids": [row["id"]], "dryRun": True}).json()
        assert (dry["matched"], dry["replayed"], dry["dryRun"]) == (1, 1, True)
        assert dry["results"][0]["outcome"] == "wouldReplay"
        assert api.get(f"/dead-letters/{row['id']}").json()["replayedAt"] is None
        assert wait_run(api, runs[0])["status"] == "FAILED"

        broken.clear()
        first = api.post("/dead-letters/replay", json={"ids": [row["id"]], "payload": {"order": 70}}).json()
        assert (first["matched"], first["replayed"]) == (1, 1)
        assert first["results"][0]["outcome"] == "replayed" and first["results"][0]["replayJobId"]
        second = api.post("/dead-letters/replay", json={"ids": [row["id"]]}).json()
        assert (second["matched"], second["replayed"]) == (1, 0)
        assert second["results"][0]["outcome"] == "alreadyReplayed"
        assert wait_run(api, runs[0], {"COMPLETED"})["output"] == {"done": {"order": 70}}

        by_filter = api.post("/dead-letters/replay", json={"filter": {"workflowId": wid}}).json()
        assert (by_filter["matched"], by_filter["replayed"]) == (2, 2)
        for run_id in runs[1:]:
            wait_run(api, run_id, {"COMPLETED"})
        by_run = api.post("/dead-letters/replay", json={"runId": runs[1]}).json()
        assert [r["outcome"] for r in by_run["results"]] == ["alreadyReplayed"]
    assert sorted(c["order"] for c in handler.calls) == [1, 2, 70]  # each step ran once
    assert len(_dead(api, workflowId=wid, replayed=True)) == 3
    assert _dead(api, workflowId=wid, replayed=False) == []
    replays = orchestrator.sql(
        "SELECT count(*) FROM run_events WHERE run_id = %s AND type = 'STEP_REPLAYED'", uuid.UUID(runs[0])
    )
    assert replays == [(1,)]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": [str(uuid.uuid4())], "runId": str(uuid.uuid4())},
        {"ids": [str(uuid.uuid4()), str(uuid.uuid4())], "payload": {"x": 1}},
        {"runId": str(uuid.uuid4()), "payload": 1},
        {"ids": []},
        {"ids": ["nope"]},
        {"filter": {"replayed": "maybe"}},
        {"filter": {}, "limit": 1001},
        {"ids": [str(uuid.uuid4())], "payload": {"a": "\u0000"}},
    ],
)
def test_bad_replay_bodies_get_4xx(api: httpx.Client, body: dict[str, Any]) -> None:
    r = api.post("/dead-letters/replay", json=body)
    assert r.status_code == 422, r.text


def test_unknown_ids_are_reported_not_fatal(api: httpx.Client) -> None:
    missing = str(uuid.uuid4())
    out = api.post("/dead-letters/replay", json={"ids": [missing]}).json()
    assert (out["matched"], out["replayed"]) == (1, 0)
    assert out["results"][0]["outcome"] == "failed" and "no such dead letter" in out["results"][0]["error"]
