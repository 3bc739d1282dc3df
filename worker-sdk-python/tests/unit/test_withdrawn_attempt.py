"""A Cancel read for a running attempt (docs/protocol.md, item 15): the attempt is silenced at
once and its job counts as done for offset storage, so a handler that ignores its cancellation
neither keeps reporting nor pins its partition's committed offset."""

import time
from typing import cast

import pytest
from test_attempts import Recorder, cancel_of, job

from legato_worker._attempts import Attempts
from legato_worker._errors import SerializationError
from legato_worker._executor import Task
from legato_worker._handlers import registered
from legato_worker._offsets import OffsetTracker
from legato_worker._publisher import Publisher

pytestmark = pytest.mark.unit


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def attempts(recorder: Recorder) -> Attempts:
    return Attempts(cast(Publisher, recorder), "results", "w-1")


def test_a_withdrawn_attempt_sends_no_more_progress(attempts: Attempts, recorder: Recorder) -> None:
    ctx = attempts.begin(job(heartbeatTimeoutMs=300), lambda: None, lambda: None)
    assert ctx is not None
    ctx.heartbeat({"i": 1})
    attempts._tick(time.monotonic())  # the first heartbeat after STARTED goes out at once
    ctx.heartbeat({"i": 2})  # pending: the 100 ms interval has not passed
    sent = len(recorder.progress)
    assert [p["kind"] for p in recorder.progress] == ["STARTED", "HEARTBEAT"]

    attempts.withdraw(cancel_of(job(), "RunCancelled"))
    assert ctx.cancel_reason == "RunCancelled" and ctx.cancelled.is_set()
    ctx.heartbeat({"i": 3})
    with pytest.raises(SerializationError):  # still validated
        ctx.heartbeat({"nan": float("nan")})
    attempts._tick(time.monotonic() + 60)  # long past every interval and the lazy start
    attempts.end(ctx, failed=True)  # the pending {"i": 2} is dropped, not flushed
    assert len(recorder.progress) == sent, recorder.progress[sent:]


def test_a_withdrawal_before_started_suppresses_the_lazy_start(
    attempts: Attempts, recorder: Recorder
) -> None:
    ctx = attempts.begin(job(), lambda: None, None)
    assert ctx is not None
    attempts.withdraw(cancel_of(job(), "Superseded"))
    attempts._tick(ctx.started_mono + 5)
    assert recorder.progress == []


def test_a_withdrawn_attempt_releases_its_offset_once(attempts: Attempts, recorder: Recorder) -> None:
    tracker = OffsetTracker()
    tracker.assign([0])
    state = tracker.get(0)
    assert state is not None
    entry = registered(lambda payload: None)
    first, later = Task(entry, job("j-1"), state, 7), Task(entry, job("j-2"), state, 8)
    state.track(7)
    state.track(8)
    ctx = attempts.begin(first.job, first.release, None, None, first.release_once)
    assert ctx is not None

    later.release_once()  # the later job of the partition answered: the first one still pins
    assert tracker.take_storable() == []
    attempts.withdraw(cancel_of(first.job))
    assert tracker.take_storable() == [(0, 9)], "the withdrawn job did not count as done"

    first.release_once()  # its late Result acknowledged: nothing more
    attempts.end(ctx, failed=False)
    assert tracker.take_storable() == []
    assert tracker.in_flight() == 0


def test_a_cancel_for_an_attempt_not_running_releases_nothing(attempts: Attempts) -> None:
    released: list[str] = []
    ctx = attempts.begin(job(), lambda: None, None, None, lambda: released.append("j-1"))
    assert ctx is not None
    attempts.end(ctx, failed=False)
    attempts.withdraw(cancel_of(job()))
    assert released == []
