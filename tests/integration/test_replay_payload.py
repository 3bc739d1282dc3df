"""A replay's payload override passes the checks of a trigger's input (the API and `legato dlt
replay --payload`), and `"payload": null` (replace the input with null) is not a missing payload
(replay the dead job's own)."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.cli import legato
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration

# JSON texts a trigger's input refuses, and the words of its answer (after the field's path).
REFUSED = [
    ("NaN", "not valid JSON"),
    ("1e400", "not valid JSON"),
    ("0.1000000000000000000001", "64-bit float"),
    ("123456789012345678901234567890", "64-bit range"),
    ('"a\\u0000b"', "NUL"),
]


@dataclass
class DeadRuns:
    workflow: str
    runs: list[str]
    dead: dict[str, str]  # run id -> its dead letter's id


@pytest.fixture
def dead_runs(api: httpx.Client, orchestrator: Orchestrator) -> Iterator[DeadRuns]:
    """Three runs whose one step died (its worker refused while broken); the worker, now healthy
    and echoing its input, keeps running for the replays."""
    action, wid = unique("override"), unique("override-wf")
    define(api, {"id": wid, "steps": [{"id": "call", "action": action, "retry": {"maxAttempts": 1}}]})
    broken = threading.Event()
    broken.set()

    def call(payload: Any) -> Any:
        if broken.is_set():
            raise ConnectionError("refused")
        return {"got": payload}

    runs = [trigger(api, wid, {"order": n}) for n in range(3)]
    with running_worker(orchestrator, {action: call}):
        for run_id in runs:
            assert wait_run(api, run_id)["status"] == "FAILED"

        def dead() -> dict[str, str]:
            rows = api.get("/dead-letters", params={"workflowId": wid}).json()["deadLetters"]
            return {r["runId"]: r["id"] for r in rows}

        until(lambda: len(dead()) == 3, 30, "3 dead letters")
        broken.clear()
        yield DeadRuns(wid, runs, dead())


def _replay(api: httpx.Client, raw_body: str) -> httpx.Response:
    return api.post("/dead-letters/replay", content=raw_body, headers={"Content-Type": "application/json"})


def test_an_override_gets_the_checks_of_a_trigger_input(api: httpx.Client, dead_runs: DeadRuns) -> None:
    dead_id = dead_runs.dead[dead_runs.runs[0]]
    for raw, words in REFUSED:
        replayed = _replay(api, f'{{"ids": ["{dead_id}"], "dryRun": true, "payload": {raw}}}')
        triggered = api.post(
            f"/workflow/{dead_runs.workflow}/trigger",
            content=f'{{"input": {raw}}}',
            headers={"Content-Type": "application/json"},
        )
        assert (replayed.status_code, triggered.status_code) == (422, 422), (raw, replayed.text)
        assert words in replayed.json()["detail"]
        problem = triggered.json()["detail"].split(": ", 1)[1].split(" (")[0]  # not the column
        assert replayed.json()["detail"].split(": ", 1)[1].split(" (")[0] == problem
    assert api.get(f"/dead-letters/{dead_id}").json()["replayedAt"] is None


def test_null_replaces_the_input_and_no_payload_keeps_it(api: httpx.Client, dead_runs: DeadRuns) -> None:
    nulled, kept, _ = dead_runs.runs
    r = _replay(api, f'{{"ids": ["{dead_runs.dead[nulled]}"], "payload": null}}')
    assert r.status_code == 200, r.text
    r = _replay(api, f'{{"ids": ["{dead_runs.dead[kept]}"]}}')
    assert r.status_code == 200, r.text
    assert wait_run(api, nulled, {"COMPLETED"})["output"] == {"got": None}
    assert wait_run(api, kept, {"COMPLETED"})["output"] == {"got": {"order": 1}}


def test_null_is_an_override_and_needs_exactly_one_id(api: httpx.Client, dead_runs: DeadRuns) -> None:
    run_id = dead_runs.runs[0]
    r = _replay(api, f'{{"runId": "{run_id}", "payload": null, "dryRun": true}}')
    assert r.status_code == 422, r.text
    assert "exactly one id" in r.text


def test_cli_payload_is_checked_and_null_is_sent(
    api: httpx.Client, orchestrator: Orchestrator, dead_runs: DeadRuns
) -> None:
    run_id = dead_runs.runs[2]
    dead_id = dead_runs.dead[run_id]
    for raw, words in REFUSED:
        bad = legato(orchestrator, "dlt", "replay", "--id", dead_id, "--payload", raw, check=False)
        assert bad.returncode == 2, (raw, bad.stdout, bad.stderr)
        assert "--payload" in bad.stderr
        assert words in bad.stderr
    assert api.get(f"/dead-letters/{dead_id}").json()["replayedAt"] is None
    legato(orchestrator, "dlt", "replay", "--id", dead_id, "--payload", "null")
    assert wait_run(api, run_id, {"COMPLETED"})["output"] == {"got": None}
