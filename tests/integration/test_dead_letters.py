"""Exhausted and non-retryable steps reach workflow-jobs.DLT and the dead_letters table; `legato dlt`
lists, shows and replays them from the table."""

import uuid
from typing import Any

import httpx
import orjson
import pytest

from harness.api import define, events, trigger, unique, wait_run
from harness.cli import as_json, dead_letters, legato
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato_worker import NonRetryableError

pytestmark = pytest.mark.integration


def _await_dead_letter(orch: Orchestrator, run_id: str, timeout: float = 20) -> dict[str, Any]:
    until(lambda: dead_letters(orch, "--run-id", run_id), timeout, f"a dead letter for run {run_id}")
    return dead_letters(orch, "--run-id", run_id)[0]


def test_exhausted_step_is_dead_lettered_then_replayed_to_completion(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, action, after = unique("charge"), unique("charge-card"), unique("after")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"action": action, "stepIndex": 0, "retry": {"maxAttempts": 2, "initialDelayMs": 50}},
                {"action": after, "stepIndex": 1},
            ],
        },
    )
    good_calls: list[Any] = []

    def charge(payload: dict[str, Any]) -> dict[str, Any]:
        if not payload.get("ok"):
            raise ConnectionError("gateway refused")
        good_calls.append(payload)
        return {"charged": payload["amount"]}

    run_id = trigger(api, wid, {"amount": 5})
    with running_worker(orchestrator, {action: charge, after: lambda p: {"receipt": p}}):
        run = wait_run(api, run_id)
        assert run["status"] == "FAILED"
        assert run["steps"][0]["status"] == "DEAD_LETTERED"
        dl = _await_dead_letter(orchestrator, run_id)
        assert dl["reason"] == "retries-exhausted"
        assert dl["errorType"] == "ConnectionError"
        assert dl["errorMessage"] == "gateway refused"
        assert dl["attempt"] == 2
        assert dl["workflowId"] == wid
        assert dl["replayedAt"] is None

        # The row is written with the Kafka record (which integrations read): same job, same headers.
        [kafka] = dead_letters(orchestrator, "--kafka", "--run-id", run_id)
        assert kafka["jobId"] == dl["id"]
        in_kafka = orjson.loads(legato(orchestrator, "dlt", "show", "--kafka", kafka["id"]).stdout)
        shown = as_json(orchestrator, "dlt", "show", dl["id"])
        assert shown["headers"] == {k: v for k, v in in_kafka["headers"].items() if k.startswith("legato-")}
        assert shown["headers"]["legato-job-id"] == dl["id"]
        assert shown["payload"] == {"amount": 5} == in_kafka["job"]["payload"]
        assert shown["payloadKept"] is True
        # The old <partition>-<offset> id still names it while the topic keeps the record.
        by_offset = as_json(orchestrator, "dlt", "show", kafka["id"])
        assert by_offset["id"] == dl["id"]
        for header in (
            "legato-run-id",
            "legato-step-id",
            "legato-workflow-version",
            "legato-first-failure-at",
            "legato-failed-at",
            "legato-source-topic",
            "legato-source-partition",
            "legato-source-offset",
        ):
            assert shown["headers"][header], header

        dry = legato(orchestrator, "dlt", "replay", "--id", dl["id"], "--dry-run")
        assert "would replay" in dry.stdout
        assert api.get(f"/workflow/run/{run_id}").json()["status"] == "FAILED"

        fixed = orjson.dumps({"amount": 5, "ok": True}).decode()
        legato(orchestrator, "dlt", "replay", "--id", dl["id"], "--payload", fixed)
        run = wait_run(api, run_id, {"COMPLETED"})
    assert run["output"] == {"receipt": {"charged": 5}}
    assert run["steps"][0]["output"] == {"charged": 5}
    assert good_calls == [{"amount": 5, "ok": True}]
    kinds = [e["type"] for e in events(api, run_id)]
    assert kinds.index("RUN_FAILED") < kinds.index("RUN_REPLAYED") < kinds.index("STEP_REPLAYED")

    jobs_before = orchestrator.sql("SELECT count(*) FROM jobs WHERE run_id = %s", uuid.UUID(run_id))
    again = legato(orchestrator, "dlt", "replay", "--id", dl["id"], "--payload", fixed)
    assert "already replayed" in again.stdout
    assert orchestrator.sql("SELECT count(*) FROM jobs WHERE run_id = %s", uuid.UUID(run_id)) == jobs_before
    replayed = dead_letters(orchestrator, "--run-id", run_id)[0]
    assert replayed["replayedAt"] is not None
    step_replayed = next(e for e in events(api, run_id) if e["type"] == "STEP_REPLAYED")
    assert replayed["replayJobId"] == step_replayed["data"]["jobId"]


def test_run_completes_all_steps_after_replay(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, first, second = unique("two"), unique("first"), unique("second")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"action": first, "stepIndex": 0, "retry": {"maxAttempts": 1}},
                {"action": second, "stepIndex": 1},
            ],
        },
    )
    fail = [True]

    def maybe(payload: int) -> int:
        if fail[0]:
            raise TimeoutError("upstream slow")
        return payload + 1

    run_id = trigger(api, wid, 1)
    with running_worker(orchestrator, {first: maybe, second: lambda p: p * 100}):
        assert wait_run(api, run_id)["status"] == "FAILED"
        dl = _await_dead_letter(orchestrator, run_id)
        fail[0] = False
        legato(orchestrator, "dlt", "replay", "--run-id", run_id)
        run = wait_run(api, run_id, {"COMPLETED"})
    assert run["output"] == 200
    assert dl["attempt"] == 1


def test_non_retryable_error_skips_retries(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, action = unique("declined"), unique("pay")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})  # default: 4 attempts

    def pay(_: Any) -> None:
        raise NonRetryableError("card declined", type="CardDeclined", details={"code": "51"})

    run_id = trigger(api, wid, {})
    with running_worker(orchestrator, {action: pay}):
        run = wait_run(api, run_id)
    step = run["steps"][0]
    assert step["attempts"] == 1
    assert step["error"]["type"] == "CardDeclined"
    assert step["error"]["details"] == {"code": "51"}
    assert step["error"]["reason"] == "non-retryable"
    assert _await_dead_letter(orchestrator, run_id)["reason"] == "non-retryable"


def test_replay_errors_are_clear(api: httpx.Client, orchestrator: Orchestrator) -> None:
    missing = legato(orchestrator, "dlt", "replay", "--id", "0-999999", check=False)
    assert missing.returncode == 3  # not found
    assert "no record 0-999999" in missing.stderr
    bad = legato(orchestrator, "dlt", "replay", "--all", "--payload", "{not json", check=False)
    assert bad.returncode == 2
    assert "not valid JSON" in bad.stderr
    unknown = legato(orchestrator, "dlt", "show", str(uuid.uuid4()), check=False)
    assert unknown.returncode == 3
    assert "no dead letter" in unknown.stderr
    since = legato(orchestrator, "dlt", "list", "--since", "yesterday-ish", check=False)
    assert since.returncode == 2
    assert "--since" in since.stderr


def test_replay_refuses_a_cancelled_run(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, action = unique("cancelled"), unique("doomed")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0, "retry": {"maxAttempts": 1}}]})

    def doomed(_: Any) -> None:
        raise RuntimeError("no")

    run_id = trigger(api, wid, {})
    with running_worker(orchestrator, {action: doomed}):
        wait_run(api, run_id)
        dl = _await_dead_letter(orchestrator, run_id)
    orchestrator.sql("UPDATE runs SET status = 'CANCELLED' WHERE run_id = %s RETURNING 1", uuid.UUID(run_id))
    refused = legato(orchestrator, "dlt", "replay", "--id", dl["id"], check=False)
    assert refused.returncode == 1
    assert "cancelled" in refused.stderr
