"""stop() drains a job in flight; a job that outlives the drain limit is answered FAILED
WorkerShutdown by the SDK, not redelivered."""

import dataclasses
import threading
import time
from typing import Any

import pytest

from legato_worker import Worker, WorkerSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_in_flight_job_finishes_before_stop_returns(
    kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    kafka.create_topics(["slow"])
    started = threading.Event()

    def slow(payload: Any) -> Any:
        started.set()
        time.sleep(1.0)  # the work being drained, not a wait for a condition
        return {"slept": payload}

    worker = Worker(settings=settings)
    worker.register("slow", slow)
    job = kafka.job("slow", 1000)
    running = run_worker(worker)
    assert started.wait(30), "the slow handler never started"

    running.stop()  # returns only after the drain
    assert kafka.result(job, timeout=5)["status"] == "COMPLETED"
    assert kafka.committed("slow") == 1


def test_job_outliving_the_drain_is_released_not_redelivered(
    kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    """The SDK answers FAILED WorkerShutdown for a handler deaf to its cancellation (the
    orchestrator queues it again without using an attempt) and commits its offset: Kafka must not
    deliver the job as well."""
    kafka.create_topics(["stuck"])
    release = threading.Event()
    ran: list[Any] = []

    def stuck(payload: Any) -> Any:
        ran.append(payload)
        release.wait(30)  # ignores its WorkerShutdown cancellation
        return payload

    first = Worker(settings=dataclasses.replace(settings, shutdown_timeout_ms=300))
    first.register("stuck", stuck)
    job = kafka.job("stuck", "x")
    running = run_worker(first)
    kafka.wait_until(lambda: ran == ["x"], what="the first handler to start")
    running.stop()  # drain 0.3 s, grace 2 s, then the SDK answers for the handler
    result = kafka.result(job, timeout=5)
    assert result["status"] == "FAILED" and result["failure"] is not None, result
    assert result["failure"]["type"] == "WorkerShutdown" and not result["failure"]["nonRetryable"]
    assert kafka.committed("stuck") == 1

    second = Worker(settings=dataclasses.replace(settings, worker_id="second"))
    second.register("stuck", lambda payload: ran.append(payload) or payload)
    later = kafka.job("stuck", "later")
    run_worker(second)
    assert kafka.result(later)["workerId"] == "second"
    assert ran == ["x", "later"], "the released job was delivered again"
    release.set()
