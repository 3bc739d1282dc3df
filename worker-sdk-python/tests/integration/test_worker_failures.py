"""A handler error is a FAILED result with the failure envelope, never a success."""

import json
from typing import Any

import pytest

from legato_worker import ApplicationError, NonRetryableError, Worker, WorkerSettings

pytestmark = pytest.mark.integration


def test_errors_become_failed_results(kafka: Any, settings: WorkerSettings, run_worker: Any) -> None:
    kafka.create_topics(["fail", "plain", "decline", "nonjson"])
    worker = Worker(settings=settings)

    def fail(payload: Any) -> Any:
        raise ApplicationError("boom", type="ConformanceError", details={"payload": payload})

    def plain(_: Any) -> Any:
        raise RuntimeError("plain failure")

    def decline(_: Any) -> Any:
        raise NonRetryableError("declined", type="CardDeclined", details={"code": "51"})

    worker.register("fail", fail)
    worker.register("plain", plain)
    worker.register("decline", decline)
    worker.register("nonjson", lambda _: object())
    jobs = {a: kafka.job(a, {"k": a}) for a in ("fail", "plain", "decline", "nonjson")}
    running = run_worker(worker)

    results = {a: kafka.result(job) for a, job in jobs.items()}
    assert all(r["status"] == "FAILED" and r["output"] is None for r in results.values())
    envelopes = {a: r["failure"] for a, r in results.items()}
    assert envelopes["fail"]["type"] == "ConformanceError"
    assert envelopes["fail"]["message"] == "boom"
    assert envelopes["fail"]["nonRetryable"] is False
    assert json.loads(envelopes["fail"]["details"]) == {"payload": {"k": "fail"}}
    assert "ConformanceError" in envelopes["fail"]["stackTrace"] or envelopes["fail"]["stackTrace"]
    assert (envelopes["plain"]["type"], envelopes["plain"]["message"]) == (
        "RuntimeError",
        "plain failure",
    )
    assert envelopes["plain"]["details"] is None
    assert envelopes["decline"]["nonRetryable"] is True
    assert json.loads(envelopes["decline"]["details"]) == {"code": "51"}
    assert envelopes["nonjson"]["type"] == "SerializationError"
    running.stop()
    assert kafka.committed("fail") == 1  # a FAILED result still finishes the job


def test_job_for_an_unregistered_action(kafka: Any, settings: WorkerSettings, run_worker: Any) -> None:
    kafka.create_topics(["echo"])
    calls: list[Any] = []
    worker = Worker(settings=settings)
    worker.register("echo", calls.append)
    stray = kafka.job("no-such-action", 1, topic_action="echo")
    run_worker(worker)

    result = kafka.result(stray)
    assert result["status"] == "FAILED"
    assert result["failure"]["type"] == "UnknownAction"
    assert result["failure"]["nonRetryable"] is True
    assert calls == []
