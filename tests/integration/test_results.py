"""Results: a handler error is a failure (never a success); a duplicate result never advances a run twice."""

import threading
import time
import uuid

import httpx
import pytest
from confluent_kafka import Producer

from harness.api import define, events, step_of, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato_protocol import Result, encode_result

pytestmark = pytest.mark.integration


def _fast_retry(max_attempts: int) -> dict[str, int]:
    return {"maxAttempts": max_attempts, "initialDelayMs": 50}


def test_handler_exception_fails_the_attempt_and_retries(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = unique("flaky")
    action = unique("flaky-step")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0, "retry": _fast_retry(4)}]})
    calls: list[int] = []

    def flaky(payload: int) -> int:
        calls.append(payload)
        if len(calls) < 3:
            raise ValueError(f"not yet ({len(calls)})")
        return payload * 2

    run_id = trigger(api, wid, 21)
    with running_worker(orchestrator, {action: flaky}):
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED" and run["output"] == 42
    step = run["steps"][0]
    assert step["attempts"] == 3 and step["status"] == "COMPLETED"
    kinds = [(e["type"], e["attempt"]) for e in events(api, run_id) if e["stepId"]]
    assert kinds == [
        ("STEP_SCHEDULED", 1),
        ("STEP_FAILED", 1),
        ("STEP_SCHEDULED", 2),
        ("STEP_FAILED", 2),
        ("STEP_SCHEDULED", 3),
        ("STEP_COMPLETED", 3),
    ]
    failed = [e for e in events(api, run_id) if e["type"] == "STEP_FAILED"]
    assert failed[0]["data"]["type"] == "ValueError" and failed[0]["data"]["message"] == "not yet (1)"


def test_permanent_handler_error_fails_the_run_never_completes(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = unique("doomed")
    action = unique("doomed-step")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"action": action, "stepIndex": 0, "retry": _fast_retry(2)},
                {"action": unique("never"), "stepIndex": 1},
            ],
        },
    )

    def broken(_: object) -> None:
        raise RuntimeError("database is on fire")

    run_id = trigger(api, wid, "x")
    with running_worker(orchestrator, {action: broken}):
        run = wait_run(api, run_id)
    assert run["status"] == "FAILED"
    first, second = run["steps"][0], run["steps"][1]
    assert first["status"] == "DEAD_LETTERED" and first["attempts"] == 2 and first["output"] is None
    assert first["error"]["type"] == "RuntimeError" and first["error"]["reason"] == "retries-exhausted"
    assert second["status"] == "PENDING" and second["attempts"] == 0
    assert run["error"]["stepId"] == first["id"] and run["error"]["message"] == "database is on fire"
    assert "STEP_COMPLETED" not in [e["type"] for e in events(api, run_id)]


def test_duplicate_result_never_advances_a_run_twice(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid = unique("dup")
    a, b = unique("a"), unique("b")
    define(api, {"id": wid, "steps": [{"action": a, "stepIndex": 0}, {"action": b, "stepIndex": 1}]})
    run_id = trigger(api, wid, 1)
    with running_worker(orchestrator, {a: lambda p: p + 1, b: lambda p: p * 10}):
        run = wait_run(api, run_id)
    assert run["output"] == 20
    job_id, step_id = orchestrator.sql(
        "SELECT job_id, step_id FROM jobs WHERE run_id = %s AND action = %s", uuid.UUID(run_id), a
    )[0]
    _produce_result(orchestrator, run_id, str(job_id), step_id, a, "999", copies=3)
    until(lambda: any(e["type"] == "RESULT_IGNORED" for e in events(api, run_id)), 20, "RESULT_IGNORED")
    history = events(api, run_id)
    assert [e["type"] for e in history].count("STEP_COMPLETED") == 2
    assert [e["type"] for e in history].count("RUN_COMPLETED") == 1
    assert any(e["type"] == "RESULT_IGNORED" for e in history)
    after = api.get(f"/workflow/run/{run_id}").json()
    assert after["output"] == 20 and after["steps"][0]["output"] == 2


def test_a_duplicate_result_while_the_run_goes_on_counts_no_dependency_down(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    """The engine counts a result's dependants down ahead of its claim (workflow.countdown): a
    result whose claim then loses must give the count back, or the fan-in would start early, or
    never (its count below zero once its real last dependency ends)."""
    wid = unique("dup-fan-in")
    a, b, c = unique("a"), unique("b"), unique("c")
    steps = [
        {"id": "a", "action": a},
        {"id": "b", "action": b},
        {
            "id": "c",
            "action": c,
            "dependsOn": ["a", "b"],
            "input": {"a": "${steps.a.output}", "b": "${steps.b.output}"},
        },
    ]
    define(api, {"id": wid, "steps": steps})
    release = threading.Event()
    ran_c: list[object] = []

    def slow_b(payload: int) -> int:
        assert release.wait(60)
        return payload + 2

    def fan_in(payload: object) -> object:
        ran_c.append(payload)
        return payload

    run_id = trigger(api, wid, 1)
    with running_worker(orchestrator, {a: lambda p: p + 1, b: slow_b, c: fan_in}):
        until(lambda: _step_status(api, run_id, "a") == "COMPLETED", 30, "step a completed")
        job_id = orchestrator.sql(
            "SELECT job_id FROM jobs WHERE run_id = %s AND step_id = 'a'", uuid.UUID(run_id)
        )[0][0]
        _produce_result(orchestrator, run_id, str(job_id), "a", a, "999")
        until(lambda: any(e["type"] == "RESULT_IGNORED" for e in events(api, run_id)), 20, "RESULT_IGNORED")
        assert _step_status(api, run_id, "c") == "PENDING"  # still waiting for b
        release.set()
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED", run
    assert run["output"] == {"a": 2, "b": 3}
    assert ran_c == [{"a": 2, "b": 3}]


def _step_status(api: httpx.Client, run_id: str, step_id: str) -> str:
    status: str = step_of(api, run_id, step_id)["status"]
    return status


def _produce_result(
    orchestrator: Orchestrator,
    run_id: str,
    job_id: str,
    step_id: str,
    action: str,
    output: str,
    copies: int = 1,
) -> None:
    """A COMPLETED result of attempt 1 of `job_id`, produced `copies` times (a worker's duplicates)."""
    now = int(time.time() * 1000)
    result: Result = {
        "jobId": job_id,
        "runId": run_id,
        "stepId": step_id,
        "attempt": 1,
        "action": action,
        "status": "COMPLETED",
        "output": output,
        "failure": None,
        "workerId": "test",
        "sdk": "test/0",
        "traceparent": None,
        "correlationId": None,
        "startedAt": now,
        "finishedAt": now,
    }
    producer = Producer(orchestrator.kafka_config())
    for _ in range(copies):
        producer.produce(orchestrator.env["LEGATO_RESULTS_TOPIC"], encode_result(result), run_id.encode())
    assert producer.flush(10) == 0
