"""Jobs in, COMPLETED results out, offsets committed: sync and async handlers on real Kafka."""

import asyncio
import json
from typing import Any

import pytest

from legato_worker import Worker, WorkerSettings

pytestmark = pytest.mark.integration


def test_sync_and_async_handlers_complete(kafka: Any, settings: WorkerSettings, run_worker: Any) -> None:
    kafka.create_topics(["step1", "step2"])
    worker = Worker(settings=settings)
    worker.register("step1", lambda payload: f"Processed: {payload}")

    @worker.action("step2")
    async def step2(payload: Any) -> Any:
        await asyncio.sleep(0.01)
        return {"done": payload}

    first = kafka.job("step1", "Hello World")
    second = kafka.job("step2", {"n": 1})
    running = run_worker(worker)

    result = kafka.result(first)
    assert result["status"] == "COMPLETED"
    assert result["output"] == json.dumps("Processed: Hello World")
    assert result["failure"] is None
    for field in ("jobId", "runId", "stepId", "attempt", "action", "correlationId"):
        assert result[field] == first[field]
    assert result["workerId"] == "it-worker"
    assert result["sdk"].startswith("python/")
    assert json.loads(kafka.result(second)["output"]) == {"done": {"n": 1}}

    running.stop()
    assert kafka.committed("step1") == 1
    assert kafka.committed("step2") == 1


def test_a_burst_of_jobs_all_complete_and_commit(
    kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    kafka.create_topics(["noop"])
    worker = Worker(settings=settings)
    worker.register("noop", lambda payload: payload)
    jobs = [kafka.job("noop", i, flush=False) for i in range(200)]
    kafka.producer.flush(30)
    running = run_worker(worker)

    for i, job in enumerate(jobs):
        assert kafka.result(job)["output"] == str(i)
    running.stop()
    assert kafka.committed("noop") == 200
