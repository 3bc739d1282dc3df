"""Attempt bookkeeping without Kafka: skips, eager STARTED, failure flush, cancellation, handler
signatures. The publisher is a recorder of what would be produced (Kafka is covered by the
integration and conformance tests)."""

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, cast

import pytest

from legato_protocol import Job, Progress, decode_progress
from legato_worker import JobContext, WorkerSettings, current_job
from legato_worker._attempts import Attempts
from legato_worker._handlers import run_async, run_sync, takes_context
from legato_worker._publisher import Publisher

pytestmark = pytest.mark.unit


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Progress, bytes | str | None, Callable[[], None]]] = []

    def publish(self, topic: str, value: bytes, key: bytes | str | None, on_ack: Callable[[], None]) -> None:
        self.sent.append((topic, decode_progress(value), key, on_ack))

    @property
    def progress(self) -> list[Progress]:
        return [p for _, p, _, _ in self.sent]


def job(job_id: str = "j-1", **v2: Any) -> Job:
    return {
        "jobId": job_id,
        "runId": "r-1",
        "stepId": "s",
        "attempt": 2,
        "action": "a",
        "payload": '{"x": 1}',
        "workflowId": "wf",
        "workflowVersion": 1,
        "queue": "workflow-jobs.a",
        "traceparent": None,
        "correlationId": None,
        "createdAt": 1,
        "deadlineAt": v2.get("deadlineAt"),
        "startToCloseMs": v2.get("startToCloseMs"),
        "heartbeatTimeoutMs": v2.get("heartbeatTimeoutMs"),
        "lastHeartbeatDetails": None,
    }


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def attempts(recorder: Recorder) -> Attempts:
    return Attempts(cast(Publisher, recorder), "results", "w-1")


def cancel_of(the_job: Job, reason: str = "RunCancelled") -> Any:
    return {
        **{k: the_job[k] for k in ("jobId", "runId", "stepId", "attempt", "action")},  # type: ignore[literal-required]
        "reason": reason,
        "message": "m",
        "at": 1,
    }


def test_past_deadline_is_skipped(attempts: Attempts, recorder: Recorder) -> None:
    acked: list[str] = []
    now = time.time_ns() // 1_000_000
    assert attempts.begin(job(deadlineAt=now - 1), lambda: acked.append("skip"), None) is None
    [(topic, skipped, key, on_ack)] = recorder.sent
    assert (topic, key, skipped["kind"], skipped["reason"]) == ("results", "r-1", "SKIPPED", "DeadlinePassed")
    assert skipped["workerId"] == "w-1" and skipped["sdk"].startswith("python/")
    on_ack()
    assert acked == ["skip"]
    assert attempts.begin(job("j-2", deadlineAt=now + 60_000), lambda: None, None) is not None


def test_withdrawn_is_skipped_and_wins_over_the_deadline(attempts: Attempts, recorder: Recorder) -> None:
    attempts.withdraw(cancel_of(job()))
    assert attempts.withdrawn("j-1")
    assert attempts.begin(job(deadlineAt=1), lambda: None, None) is None
    assert [p["reason"] for p in recorder.progress] == ["Withdrawn"]


def test_a_heartbeating_attempt_reports_started_at_once(attempts: Attempts, recorder: Recorder) -> None:
    started: list[str] = []
    ctx = attempts.begin(job(heartbeatTimeoutMs=3000), lambda: None, lambda: started.append("ack"))
    assert ctx is not None
    [(_, progress, _, on_ack)] = recorder.sent
    assert progress["kind"] == "STARTED" and progress["details"] is None
    assert progress["startedAt"] == ctx.started_at
    on_ack()
    assert started == ["ack"]


def test_a_lazy_attempt_reports_nothing_when_it_ends_quickly(attempts: Attempts, recorder: Recorder) -> None:
    ctx = attempts.begin(job(), lambda: None, None)
    assert ctx is not None
    attempts._tick(time.monotonic())
    attempts.end(ctx, failed=False)
    assert recorder.sent == []


def test_the_ticker_sends_the_lazy_start_and_signals_start_to_close(
    attempts: Attempts, recorder: Recorder
) -> None:
    ctx = attempts.begin(job(startToCloseMs=1500), lambda: None, None)
    assert ctx is not None
    attempts._tick(ctx.started_mono + 1.0)
    assert [p["kind"] for p in recorder.progress] == ["STARTED"]
    assert not ctx.cancelled.is_set()
    attempts._tick(ctx.started_mono + 1.5)
    assert ctx.cancelled.is_set() and ctx.cancel_reason == "StartToCloseTimeout"


def test_a_failure_flushes_pending_details_before_the_result(attempts: Attempts, recorder: Recorder) -> None:
    ctx = attempts.begin(job(), lambda: None, None)
    assert ctx is not None
    ctx.heartbeat({"done": 1})
    attempts._tick(time.monotonic())  # STARTED with {"done": 1}
    ctx.heartbeat({"done": 2})
    attempts._tick(time.monotonic())  # within the 10 s interval: nothing
    attempts.end(ctx, failed=True)
    assert [(p["kind"], p["details"]) for p in recorder.progress] == [
        ("STARTED", '{"done":1}'),
        ("HEARTBEAT", '{"done":2}'),
    ]


def test_a_cancel_reaches_a_running_attempt_only(attempts: Attempts) -> None:
    ctx = attempts.begin(job(), lambda: None, None)
    other = attempts.begin(job("j-2"), lambda: None, None)
    assert ctx is not None and other is not None
    attempts.withdraw(cancel_of(job(), "Superseded"))
    assert ctx.cancelled.is_set() and ctx.cancel_reason == "Superseded"
    assert not other.cancelled.is_set()
    assert attempts.cancel_all("WorkerShutdown") == 2
    assert other.cancel_reason == "WorkerShutdown" and ctx.cancel_reason == "Superseded"
    attempts.end(ctx, failed=True)
    attempts.end(other, failed=True)
    assert attempts.cancel_all("WorkerShutdown") == 0


def test_handlers_taking_the_context() -> None:
    def two(payload: Any, ctx: JobContext) -> Any:
        return None

    async def two_async(payload: Any, ctx: JobContext) -> Any:
        return None

    class Callable2:
        def __call__(self, payload: Any, ctx: JobContext) -> Any:
            return None

    def optional(payload: Any, ctx: Any = None) -> Any:
        return None

    assert takes_context(two) and takes_context(two_async) and takes_context(Callable2())
    assert not takes_context(lambda p: p) and not takes_context(optional) and not takes_context(print)


def test_the_context_parameter_is_the_current_job() -> None:
    def handler(payload: Any, ctx: JobContext) -> Any:
        assert ctx is current_job()
        return [payload["x"], ctx.attempt, ctx["jobId"]]

    result = run_sync(handler, job(), "w-1", asyncio.run, None, True)
    assert json.loads(result["output"] or "null") == [1, 2, "j-1"]


def test_a_cancelled_async_handler_answers_attempt_cancelled() -> None:
    async def main() -> Any:
        ctx = JobContext(job())

        async def handler(payload: Any) -> Any:
            await asyncio.sleep(60)

        task = asyncio.ensure_future(run_async(handler, job(), "w-1", ctx))
        await asyncio.sleep(0)
        ctx.bind_task(asyncio.get_running_loop(), cast(Any, task))
        ctx.cancel("RunCancelled")
        return await task

    result = asyncio.run(main())
    assert result["status"] == "FAILED"
    assert result["failure"] is not None and result["failure"]["type"] == "AttemptCancelled"
    assert result["failure"]["nonRetryable"] is False


def test_control_topic_setting() -> None:
    assert WorkerSettings().control_topic == "workflow-control"
    assert WorkerSettings.from_env({"LEGATO_CONTROL_TOPIC": " ctl "}).control_topic == "ctl"
    with pytest.raises(ValueError, match="control_topic"):
        WorkerSettings(control_topic=" ")
