"""Shutdown never costs an attempt (docs/protocol.md, item 15): after the drain limit, an attempt
cancelled with WorkerShutdown that does not succeed is answered FAILED WorkerShutdown, retryable,
whether its handler raised or is still running (then the SDK answers for it, once)."""

import threading
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from test_attempts import Recorder, job

from legato_protocol import Result
from legato_worker import AttemptCancelled, JobContext
from legato_worker._attempts import Attempts
from legato_worker._executor import Executor, Task
from legato_worker._handlers import Handler, registered
from legato_worker._offsets import OffsetTracker, PartitionOffsets
from legato_worker._publisher import Publisher
from legato_worker._shutdown import RELEASED

pytestmark = pytest.mark.unit

WAIT_S = 10.0  # a condition wait, never reached when the code is right


class Answers:
    """The executor's `finish`: every Result handed to the producer (acknowledged at once)."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self.results: list[Result] = []
        self.progress_before: list[int] = []  # per Result: how many Progress records preceded it
        self.arrived = threading.Condition()

    def __call__(self, task: Task, result: Result) -> None:
        with self.arrived:
            self.progress_before.append(len(self._recorder.progress))
            self.results.append(result)
            self.arrived.notify_all()
        task.release_once()

    def wait(self, count: int) -> list[Result]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.results) >= count, WAIT_S), self.results
            return list(self.results)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def answers(recorder: Recorder) -> Answers:
    return Answers(recorder)


@pytest.fixture
def executor(recorder: Recorder, answers: Answers) -> Iterator[Executor]:
    attempts = Attempts(cast(Publisher, recorder), "results", "w-1")
    executor = Executor(4, "w-1", answers, attempts)
    executor.start(sync_handlers=True, async_handlers=False)
    yield executor
    executor.shutdown()


def submit(executor: Executor, handler: Handler, state: PartitionOffsets, offset: int, **v2: Any) -> Task:
    state.track(offset)
    task = Task(registered(handler), job(f"j-{offset}", **v2), state, offset)
    assert executor.gate.try_acquire()
    executor.submit(task)
    return task


@pytest.fixture
def state() -> PartitionOffsets:
    tracker = OffsetTracker()
    tracker.assign([0])
    partition = tracker.get(0)
    assert partition is not None
    return partition


def running(started: threading.Event) -> Callable[[Any, JobContext], Any]:
    """A handler that says it started, then waits for its cancellation and raises."""

    def handler(payload: Any, ctx: JobContext) -> Any:
        started.set()
        ctx.cancelled.wait(WAIT_S)
        raise AttemptCancelled(ctx.cancel_reason)

    return handler


def test_a_handler_raising_on_shutdown_is_released(
    executor: Executor, answers: Answers, state: PartitionOffsets
) -> None:
    started = threading.Event()
    submit(executor, running(started), state, 0)
    assert started.wait(WAIT_S)

    assert executor.cancel_running("WorkerShutdown") == 1
    [result] = answers.wait(1)
    assert result["status"] == "FAILED"
    assert result["failure"] == {
        "type": "WorkerShutdown",
        "message": f"{RELEASED}: attempt cancelled: WorkerShutdown",
        "nonRetryable": False,
        "details": None,
        "stackTrace": None,
    }
    assert executor.gate.wait_idle(WAIT_S)
    assert executor.released_at_shutdown == 1
    assert state.advance() and state.next_offset == 1  # the consumer folds the finished offsets in


def test_a_success_within_the_grace_stays_a_success(
    executor: Executor, answers: Answers, state: PartitionOffsets
) -> None:
    started = threading.Event()

    def finishes(payload: Any, ctx: JobContext) -> Any:
        started.set()
        ctx.cancelled.wait(WAIT_S)
        return {"finished": True}

    submit(executor, finishes, state, 0)
    assert started.wait(WAIT_S)
    executor.cancel_running("WorkerShutdown")
    [result] = answers.wait(1)
    assert result["status"] == "COMPLETED" and result["failure"] is None
    assert executor.released_at_shutdown == 0


def test_other_cancellations_keep_their_failure(
    executor: Executor, answers: Answers, state: PartitionOffsets
) -> None:
    started = threading.Event()
    submit(executor, running(started), state, 0)
    assert started.wait(WAIT_S)
    executor.cancel_running("StartToCloseTimeout")
    [result] = answers.wait(1)
    assert result["failure"] is not None and result["failure"]["type"] == "AttemptCancelled"
    assert executor.released_at_shutdown == 0


def test_a_handler_still_running_is_answered_by_the_sdk_once(
    executor: Executor, answers: Answers, recorder: Recorder, state: PartitionOffsets
) -> None:
    started, let_go = threading.Event(), threading.Event()

    def ignores(payload: Any, ctx: JobContext) -> Any:
        ctx.heartbeat({"i": 1})
        started.set()
        let_go.wait(WAIT_S)  # deaf to its cancellation
        ctx.heartbeat({"i": 2})  # after its Result: sends nothing
        return {"ignored": True}

    submit(executor, ignores, state, 0, heartbeatTimeoutMs=60_000)
    assert started.wait(WAIT_S)
    executor.cancel_running("WorkerShutdown")
    assert not executor.gate.wait_idle(0.05)

    assert executor.release_running() == 1
    [result] = answers.wait(1)
    assert result["status"] == "FAILED" and result["failure"] is not None
    assert result["failure"]["type"] == "WorkerShutdown" and result["failure"]["message"] == RELEASED
    assert [(p["kind"], p["details"]) for p in recorder.progress] == [
        ("STARTED", None),
        ("HEARTBEAT", '{"i":1}'),
    ]
    assert answers.progress_before == [2], "the pending details go out before the Result"
    assert state.advance() and state.next_offset == 1, "the offset is stored once the Result is acknowledged"
    assert executor.release_running() == 0, "answered twice"

    let_go.set()  # its own outcome, later, is discarded
    assert executor.gate.wait_idle(WAIT_S)
    assert len(answers.results) == 1 and len(recorder.progress) == 2
    assert executor.released_at_shutdown == 1
