"""Registration rules and running one job through a handler, without Kafka."""

import asyncio
import json
from typing import Any

import pytest

from legato_protocol import Job, Result
from legato_worker import ApplicationError, Worker, WorkerSettings, current_job
from legato_worker._executor import _await_here
from legato_worker._handlers import run_async, run_sync, unknown_action

pytestmark = pytest.mark.unit


def job(payload: Any = "Hello World", action: str = "step1") -> Job:
    return {
        "jobId": "j-1",
        "runId": "r-1",
        "stepId": "0",
        "attempt": 2,
        "action": action,
        "payload": json.dumps(payload),
        "workflowId": "wf",
        "workflowVersion": 1,
        "queue": f"workflow-jobs.{action}",
        "traceparent": "00-abc-def-01",
        "correlationId": "c-1",
        "createdAt": 1,
        "deadlineAt": None,
    }


def run(handler: Any, the_job: Job | None = None) -> Result:
    return run_sync(handler, the_job or job(), "w-1", _await_here)


@pytest.fixture
def worker() -> Worker:
    return Worker(settings=WorkerSettings(worker_id="w-1"))


@pytest.mark.parametrize("name", ["", "1abc", "a b", "DLT", "a" * 101, "a.b"])
def test_invalid_action_names_are_rejected(worker: Worker, name: str) -> None:
    with pytest.raises(ValueError, match="invalid action name"):
        worker.register(name, lambda p: p)


def test_register_and_decorator(worker: Worker) -> None:
    worker.register("step1", lambda p: p)

    @worker.action("step-2_b")
    async def step2(payload: Any) -> Any:
        return payload

    assert worker.actions == ["step1", "step-2_b"]
    assert asyncio.run(step2(1)) == 1  # the decorator returns the function unchanged
    with pytest.raises(ValueError, match="already registered"):
        worker.register("step1", lambda p: p)


def test_start_without_handlers_fails(worker: Worker) -> None:
    with pytest.raises(RuntimeError, match="register at least one action"):
        worker.start()


def test_completed_result_echoes_the_job() -> None:
    result = run(lambda p: f"Processed: {p}")
    assert result["status"] == "COMPLETED"
    assert result["output"] == '"Processed: Hello World"'
    assert result["failure"] is None
    for field in ("jobId", "runId", "stepId", "attempt", "action", "traceparent", "correlationId"):
        assert result[field] == job()[field]
    assert result["workerId"] == "w-1"
    assert result["sdk"] == "python/0.2.0"
    assert result["startedAt"] <= result["finishedAt"]


def test_handler_error_is_failed_never_completed() -> None:
    def boom(_: Any) -> Any:
        raise ApplicationError("boom", type="ConformanceError", details={"x": 1})

    result = run(boom)
    assert result["status"] == "FAILED"
    assert result["output"] is None
    assert result["failure"] is not None
    assert result["failure"]["type"] == "ConformanceError"


def test_unserialisable_return_is_a_serialization_error() -> None:
    result = run(lambda p: {1, 2})
    assert result["status"] == "FAILED"
    assert result["failure"] is not None
    assert result["failure"]["type"] == "SerializationError"


def test_payload_that_is_not_json_is_a_non_retryable_failure() -> None:
    bad = job()
    bad["payload"] = "{not json"
    result = run(lambda p: p, bad)
    assert result["failure"] is not None
    assert (result["failure"]["type"], result["failure"]["nonRetryable"]) == (
        "InvalidPayload",
        True,
    )


def test_current_job_inside_sync_and_async_handlers() -> None:
    assert run(lambda p: current_job()["jobId"])["output"] == '"j-1"'

    async def handler(_: Any) -> Any:
        await asyncio.sleep(0)
        return current_job()["attempt"]

    assert asyncio.run(run_async(handler, job(), "w-1"))["output"] == "2"
    with pytest.raises(RuntimeError):
        current_job()


def test_sync_handler_returning_a_coroutine_is_awaited() -> None:
    async def later(p: Any) -> Any:
        return [p]

    assert run(later)["output"] == '["Hello World"]'


def test_unknown_action_result() -> None:
    result = unknown_action(job(action="no-such-action"), "w-1")
    assert result["status"] == "FAILED"
    assert result["failure"] is not None
    assert result["failure"]["type"] == "UnknownAction"
    assert result["failure"]["nonRetryable"] is True
