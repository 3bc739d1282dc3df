"""The worker's injectable wall clock: the deadline check and every time on the wire come from it,
not from the system clock (so a skewed clock is judged as the orchestrator would see it)."""

import asyncio
import json
from typing import Any, cast

import pytest
from test_attempts import Recorder, job

from legato_worker import JobContext, Worker, WorkerSettings
from legato_worker._attempts import Attempts
from legato_worker._handlers import run_sync, unknown_action
from legato_worker._publisher import Publisher

pytestmark = pytest.mark.unit

NOW = 1_000_000  # epoch ms of the injected clock: 1970, far behind the system clock


def clock() -> int:
    return NOW


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def attempts(recorder: Recorder) -> Attempts:
    return Attempts(cast(Publisher, recorder), "results", "w-1", clock)


def test_the_deadline_is_checked_against_the_worker_clock(attempts: Attempts, recorder: Recorder) -> None:
    assert attempts.begin(job(deadlineAt=NOW + 1), lambda: None, None) is not None  # past, by the system
    assert attempts.begin(job("j-2", deadlineAt=NOW), lambda: None, None) is None
    [skipped] = recorder.progress
    assert skipped["reason"] == "DeadlinePassed"
    assert skipped["at"] == NOW and skipped["startedAt"] == NOW


def test_progress_times_come_from_the_worker_clock(attempts: Attempts, recorder: Recorder) -> None:
    ctx = attempts.begin(job(heartbeatTimeoutMs=3000), lambda: None, lambda: None)
    assert ctx is not None and ctx.started_at == NOW
    [started] = recorder.progress
    assert (started["startedAt"], started["at"]) == (NOW, NOW)


def test_result_times_come_from_the_worker_clock() -> None:
    def handler(payload: Any, ctx: JobContext) -> Any:
        return payload

    result = run_sync(handler, job(), "w-1", asyncio.run, JobContext(job(), None, clock), True)
    assert json.loads(result["output"] or "null") == {"x": 1}
    assert (result["startedAt"], result["finishedAt"]) == (NOW, NOW)
    unknown = unknown_action(job(), "w-1", clock)
    assert (unknown["startedAt"], unknown["finishedAt"]) == (NOW, NOW)


def test_the_worker_takes_a_clock() -> None:
    assert Worker(WorkerSettings(), clock=clock)._clock is clock
    assert abs(Worker(WorkerSettings())._clock() - NOW) > 1_000_000  # the system clock by default
