"""A job delivered twice runs once (docs/protocol.md, item 17): a copy of a jobId that runs in this
worker, or ended here in the last hour, is not started and sends nothing; its offset counts as done
at once, behind a first copy still running. The memory of ended jobIds is bounded in time and size."""

import logging
import time
from typing import cast

import pytest
from test_attempts import Recorder, cancel_of, job

from legato_worker._attempts import KEEP_ENDED_MAX, KEEP_ENDED_S, Attempts
from legato_worker._executor import Executor, Task
from legato_worker._handlers import registered
from legato_worker._metrics import WorkerMetrics
from legato_worker._offsets import OffsetTracker, PartitionOffsets
from legato_worker._publisher import Publisher

pytestmark = pytest.mark.unit


class Monotonic:
    """An injected monotonic clock that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
def attempts(recorder: Recorder, monotonic: Monotonic) -> Attempts:
    return Attempts(cast(Publisher, recorder), "results", "w-1", monotonic=monotonic)


@pytest.fixture
def partition() -> tuple[OffsetTracker, PartitionOffsets]:
    tracker = OffsetTracker()
    tracker.assign([0])
    state = tracker.get(0)
    assert state is not None
    return tracker, state


def ran_once(attempts: Attempts, job_id: str) -> None:
    """Run `job_id` to its end in this worker."""
    ctx = attempts.begin(job(job_id), lambda: None, None)
    assert ctx is not None, f"{job_id} was not started"
    assert attempts.end(ctx, failed=False)


def started(attempts: Attempts, job_id: str) -> bool:
    ctx = attempts.begin(job(job_id), lambda: None, None)
    if ctx is None:
        return False
    attempts.end(ctx, failed=False)
    return True


def test_a_copy_of_a_running_job_is_not_started_and_done_at_once(
    attempts: Attempts, recorder: Recorder, partition: tuple[OffsetTracker, PartitionOffsets]
) -> None:
    tracker, state = partition
    entry = registered(lambda payload: None)
    first, copy = Task(entry, job(heartbeatTimeoutMs=3000), state, 7), Task(entry, job(), state, 8)
    state.track(7)
    state.track(8)
    ctx = attempts.begin(first.job, first.release, first.release_once, None, first.release_once)
    assert ctx is not None
    [started_record] = recorder.progress  # the first copy heartbeats: STARTED at once, not acked yet

    copied = attempts.begin(copy.job, copy.release, None, None, copy.release_once, copy.release_duplicate)
    assert copied is None
    assert copy.duplicate, "the copy's done callback did not run at once"
    assert recorder.progress == [started_record], "a duplicate sent a record"
    assert tracker.take_storable() == [], "committed past the first copy, still running"

    assert attempts.end(ctx, failed=False)
    first.release_once()  # its Result acknowledged: the copy behind it is done already
    assert tracker.take_storable() == [(0, 9)]
    assert tracker.in_flight() == 0


def test_without_on_duplicate_the_skip_callback_runs_at_once(attempts: Attempts, recorder: Recorder) -> None:
    ctx = attempts.begin(job(), lambda: None, None)
    assert ctx is not None
    done: list[str] = []
    assert attempts.begin(job(), lambda: done.append("copy"), None) is None
    assert done == ["copy"] and recorder.sent == []
    attempts.end(ctx, failed=False)


def test_a_copy_after_the_job_ended_is_not_started(attempts: Attempts, recorder: Recorder) -> None:
    ran_once(attempts, "j-1")
    done: list[str] = []
    heartbeating = job(heartbeatTimeoutMs=3000)
    copy = attempts.begin(heartbeating, lambda: None, lambda: None, None, None, lambda: done.append("c"))
    assert copy is None
    assert done == ["c"]
    assert recorder.sent == [], "no STARTED, no SKIPPED for a duplicate"


def test_a_copy_of_a_skipped_or_cancelled_job_sends_nothing(attempts: Attempts, recorder: Recorder) -> None:
    attempts.withdraw(cancel_of(job("j-1")))
    assert attempts.begin(job("j-1"), lambda: None, None) is None  # skipped: the first copy ended
    assert attempts.begin(job("j-1"), lambda: None, None) is None
    assert attempts.begin(job("j-2", deadlineAt=1), lambda: None, None) is None
    assert attempts.begin(job("j-2", deadlineAt=1), lambda: None, None) is None
    assert [p["reason"] for p in recorder.progress] == ["Withdrawn", "DeadlinePassed"]

    ctx = attempts.begin(job("j-3"), lambda: None, None)
    assert ctx is not None
    attempts.withdraw(cancel_of(job("j-3")))  # silenced while it runs
    assert attempts.begin(job("j-3"), lambda: None, None) is None
    attempts.end(ctx, failed=True)
    assert attempts.begin(job("j-3"), lambda: None, None) is None
    assert [p["reason"] for p in recorder.progress] == ["Withdrawn", "DeadlinePassed"]


def test_another_job_id_of_the_same_attempt_is_started(attempts: Attempts) -> None:
    ctx = attempts.begin(job("j-1"), lambda: None, None)
    assert ctx is not None
    requeued = attempts.begin(job("j-2"), lambda: None, None)  # same runId, stepId and attempt
    assert requeued is not None
    assert (requeued.run_id, requeued.step_id, requeued.attempt) == (ctx.run_id, ctx.step_id, ctx.attempt)
    attempts.end(requeued, failed=False)
    attempts.end(ctx, failed=False)
    assert started(attempts, "j-3")


def test_an_ended_job_id_is_forgotten_after_an_hour(attempts: Attempts, monotonic: Monotonic) -> None:
    ran_once(attempts, "j-1")
    monotonic.now += KEEP_ENDED_S - 1
    assert not started(attempts, "j-1")
    monotonic.now += 1
    assert started(attempts, "j-1"), "still remembered after an hour"
    assert not started(attempts, "j-1"), "its second run is remembered again"


def test_the_prune_cadence_drops_expired_job_ids(attempts: Attempts, monotonic: Monotonic) -> None:
    ran_once(attempts, "j-1")
    monotonic.now += 1
    ran_once(attempts, "j-2")
    monotonic.now += KEEP_ENDED_S - 0.5  # j-1 expired, j-2 not yet
    attempts._prune(time.monotonic())
    assert list(attempts._ended) == ["j-2"]
    monotonic.now += 1
    attempts._prune(time.monotonic())
    assert len(attempts._ended) == 0


def test_at_most_ten_thousand_ended_job_ids_are_kept_oldest_forgotten_first(attempts: Attempts) -> None:
    for i in range(KEEP_ENDED_MAX + 1):
        ran_once(attempts, f"j-{i}")
    assert KEEP_ENDED_MAX == 10_000 and len(attempts._ended) == KEEP_ENDED_MAX
    assert not started(attempts, "j-1")
    assert not started(attempts, f"j-{KEEP_ENDED_MAX}")
    assert started(attempts, "j-0"), "the oldest was not forgotten"
    assert len(attempts._ended) == KEEP_ENDED_MAX


def test_the_summary_counts_duplicates(attempts: Attempts, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="legato_worker"):
        attempts.withdraw(cancel_of(job("j-1")))
        assert attempts.begin(job("j-1"), lambda: None, None) is None
        assert attempts.begin(job("j-2", deadlineAt=1), lambda: None, None) is None
        ctx = attempts.begin(job("j-3"), lambda: None, None)
        assert ctx is not None
        assert attempts.begin(job("j-3"), lambda: None, None) is None  # running
        attempts.end(ctx, failed=False)
        assert attempts.begin(job("j-3"), lambda: None, None) is None  # ended
        attempts.close()
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug[-2:] == [
        "skipped job j-3 of run r-1: a duplicate of the copy running here",
        "skipped job j-3 of run r-1: a duplicate of the copy that ended here",
    ]
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info == ["skipped 4 stale attempts (deadline passed: 1, withdrawn: 1, duplicate: 2)"]


class Counted(WorkerMetrics):
    def __init__(self) -> None:
        self.skips: list[str] = []

    def skipped(self, action: str) -> None:
        self.skips.append(action)


def test_the_executor_frees_the_slot_of_a_duplicate_and_counts_no_skip(
    attempts: Attempts, partition: tuple[OffsetTracker, PartitionOffsets]
) -> None:
    tracker, state = partition
    executor = Executor(2, "w-1", lambda task, result: None, attempts)
    metrics = Counted()
    executor.metrics = metrics
    entry = registered(lambda payload: None)
    first, copy = Task(entry, job(), state, 3), Task(entry, job(), state, 4)
    state.track(3)
    state.track(4)
    assert executor.gate.try_acquire() and executor.gate.try_acquire()
    ctx = executor._begin(first)
    assert ctx is not None
    assert executor._begin(copy) is None
    assert executor.gate.active == 1, "the duplicate kept its slot"
    assert metrics.skips == [], "a duplicate is no job handled"
    assert tracker.take_storable() == []
    first.release_once()
    assert tracker.take_storable() == [(0, 5)]
    attempts.end(ctx, failed=False)

    stale = Task(entry, job("j-2", deadlineAt=1), state, 5)
    state.track(5)
    assert executor.gate.try_acquire()
    assert executor._begin(stale) is None
    assert metrics.skips == ["a"]
