"""The API clients of the three SDKs, judged on the same commands against one real orchestrator (API
keys required, a Python worker for the actions): define (built with the SDK's builder), trigger with
idempotency keys, get, await a result through the event stream, signal, cancel, retry, pause,
resume, list, events, and the typed errors of 4xx answers.

Each module runs once per SDK (`language`); its driver is tests/clients/client_driver.py's.
"""

import uuid
from typing import Any

import pytest
from client_actions import ECHO, FAIL, create_key
from client_driver import ClientDriver

from harness.orchestrator import Orchestrator

pytestmark = pytest.mark.usefixtures("worker")

NOBODY = "00000000-0000-0000-0000-000000000000"


def unique(name: str, language: str) -> str:
    return f"{name}-{language}-{uuid.uuid4().hex[:6]}"


def define_signal_waiter(driver: ClientDriver, language: str) -> str:
    wid = unique("client-approval", language)
    driver.ok("define", definition={"id": wid, "steps": [{"id": "approve", "signal": {"name": "approval"}}]})
    return wid


def test_a_built_workflow_is_defined_triggered_and_awaited(driver: ClientDriver, language: str) -> None:
    wid = unique("client-built", language)
    defined = driver.ok("defineBuilt", id=wid, action=ECHO)
    assert (defined["id"], defined["version"]) == (wid, 1)
    again = driver.ok("defineBuilt", id=wid, action=ECHO)
    assert again["version"] == 1  # the same body: no new version

    run_id = driver.ok("trigger", workflowId=wid, input={"n": 1, "text": "grüße"})["runId"]
    assert driver.ok("result", runId=run_id, timeoutSeconds=60) == {"output": {"n": 1, "text": "grüße"}}
    run = driver.ok("get", runId=run_id)
    assert run == {
        "runId": run_id,
        "workflowId": wid,
        "status": "COMPLETED",
        "output": {"n": 1, "text": "grüße"},
        "error": None,
    }


def test_an_idempotency_key_answers_the_same_run_and_refuses_another_body(
    driver: ClientDriver, language: str
) -> None:
    wid = unique("client-keyed", language)
    driver.ok("defineBuilt", id=wid, action=ECHO)
    key = unique("key", language)
    first = driver.ok("trigger", workflowId=wid, input={"n": 2}, idempotencyKey=key)["runId"]
    second = driver.ok("trigger", workflowId=wid, input={"n": 2}, idempotencyKey=key)["runId"]
    assert first == second
    refused = driver.error("trigger", workflowId=wid, input={"n": 3}, idempotencyKey=key)
    assert (refused["type"], refused["status"]) == ("InvalidRequest", 422)
    listed = driver.ok("list", workflowId=wid)["runIds"]
    assert listed == [first]
    driver.ok("result", runId=first, timeoutSeconds=60)


def test_a_failed_run_raises_run_failed_and_can_be_retried(driver: ClientDriver, language: str) -> None:
    wid = unique("client-failing", language)
    driver.ok(
        "define",
        definition={"id": wid, "steps": [{"id": "charge", "action": FAIL, "retry": {"maxAttempts": 1}}]},
    )
    run_id = driver.ok("trigger", workflowId=wid, input={"card": "x"})["runId"]
    failed = driver.error("result", runId=run_id, timeoutSeconds=60)
    assert failed["type"] == "RunFailed"
    assert "Declined" in failed["message"]
    assert driver.ok("get", runId=run_id)["status"] == "FAILED"
    retried = driver.ok("retry", runId=run_id)
    assert (retried["runId"], retried["changed"]) == (run_id, True)
    assert driver.error("result", runId=run_id, timeoutSeconds=60)["type"] == "RunFailed"


def test_signals_pause_resume_cancel_and_their_errors(driver: ClientDriver, language: str) -> None:
    wid = define_signal_waiter(driver, language)
    approved = driver.ok("trigger", workflowId=wid, input=None)["runId"]
    sent = driver.ok("signal", runId=approved, name="approval", payload={"ok": True}, signalId="mail-1")
    assert sent["duplicate"] is False
    assert driver.ok("result", runId=approved, timeoutSeconds=60) == {"output": {"ok": True}}
    again = driver.ok("signal", runId=approved, name="approval", payload={"ok": True}, signalId="mail-1")
    assert again["duplicate"] is True

    held = driver.ok("trigger", workflowId=wid, input=None)["runId"]
    timed_out = driver.error("result", runId=held, timeoutSeconds=1)
    assert timed_out["type"] == "AwaitTimeout"
    assert driver.ok("pause", runId=held)["status"] == "PAUSED"
    assert driver.ok("resume", runId=held)["status"] == "RUNNING"
    assert driver.ok("cancel", runId=held)["status"] == "CANCELLED"
    assert driver.error("result", runId=held, timeoutSeconds=60)["type"] == "RunCancelled"
    conflict = driver.error("pause", runId=held)
    assert (conflict["type"], conflict["status"]) == ("Conflict", 409)


def test_events_come_through_the_stream_in_order(driver: ClientDriver, language: str) -> None:
    wid = define_signal_waiter(driver, language)
    run_id = driver.ok("trigger", workflowId=wid, input=1)["runId"]
    driver.ok("signal", runId=run_id, name="approval", payload=2)
    types = driver.ok("events", runId=run_id)["types"]
    assert types[0] == "RUN_CREATED"
    assert types[-1] == "RUN_COMPLETED"
    assert "SIGNAL_CONSUMED" in types


def test_4xx_answers_raise_typed_errors(
    driver: ClientDriver, driver_with: Any, language: str, secured: Orchestrator
) -> None:
    missing = driver.error("get", runId=NOBODY)
    assert (missing["type"], missing["status"]) == ("NotFound", 404)
    unknown = driver.error("trigger", workflowId=unique("nothing", language), input=1)
    assert (unknown["type"], unknown["status"]) == ("NotFound", 404)
    invalid = driver.error("define", definition={"id": "bad", "steps": [{"id": "a"}]})
    assert (invalid["type"], invalid["status"]) == ("InvalidRequest", 422)
    assert "steps" in invalid["message"]

    anonymous = driver_with(None).error("get", runId=NOBODY)
    assert (anonymous["type"], anonymous["status"]) == ("Unauthorized", 401)
    reader = driver_with(create_key(secured, "read"))
    forbidden = reader.error("cancel", runId=NOBODY)
    assert (forbidden["type"], forbidden["status"]) == ("Forbidden", 403)
