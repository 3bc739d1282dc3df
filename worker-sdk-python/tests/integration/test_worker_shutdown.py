"""stop() drains a job in flight; a job that outlives the drain limit is redelivered."""

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


def test_job_outliving_the_drain_is_redelivered(
    kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    kafka.create_topics(["stuck"])
    release = threading.Event()
    calls: list[str] = []

    def stuck(payload: Any) -> Any:
        calls.append("first")
        release.wait(30)
        return payload

    first = Worker(settings=dataclasses.replace(settings, shutdown_timeout_ms=300))
    first.register("stuck", stuck)
    job = kafka.job("stuck", "x")
    running = run_worker(first)
    kafka.wait_until(lambda: calls == ["first"], what="the first handler to start")
    running.stop()
    assert kafka.committed("stuck") < 1  # nothing stored for the unfinished job

    second = Worker(settings=dataclasses.replace(settings, worker_id="second"))
    second.register("stuck", lambda payload: payload)
    run_worker(second)
    kafka.wait_until(
        lambda: kafka.result(job)["workerId"] == "second", what="redelivery to the second worker"
    )
    release.set()
