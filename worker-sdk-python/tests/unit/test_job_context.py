"""The job context: identity and mapping access, heartbeat details checks, coalescing, cancellation."""

import itertools
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legato_protocol import Job
from legato_worker import AttemptCancelled, JobContext, SerializationError
from legato_worker._context import (
    DEFAULT_INTERVAL_S,
    LAZY_START_S,
    MAX_DETAILS_BYTES,
    details_text,
    heartbeat_interval_s,
)

pytestmark = pytest.mark.unit

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def job(**v2: Any) -> Job:
    return {
        "jobId": "j-1",
        "runId": "r-1",
        "stepId": "s",
        "attempt": 3,
        "action": "import",
        "payload": "{}",
        "workflowId": "wf",
        "workflowVersion": 2,
        "queue": "workflow-jobs.import",
        "traceparent": None,
        "correlationId": None,
        "createdAt": 1,
        "deadlineAt": v2.get("deadlineAt"),
        "startToCloseMs": v2.get("startToCloseMs"),
        "heartbeatTimeoutMs": v2.get("heartbeatTimeoutMs"),
        "lastHeartbeatDetails": v2.get("lastHeartbeatDetails"),
    }


def test_attributes_and_mapping_access() -> None:
    ctx = JobContext(job(deadlineAt=99))
    assert (ctx.job_id, ctx.run_id, ctx.step_id, ctx.attempt, ctx.action) == ("j-1", "r-1", "s", 3, "import")
    assert (ctx.workflow_id, ctx.workflow_version, ctx.deadline_at) == ("wf", 2, 99)
    assert ctx["jobId"] == "j-1" and ctx["attempt"] == 3
    assert dict(ctx) == job(deadlineAt=99)
    assert "runId" in ctx and len(ctx) == len(job())
    assert not ctx.cancelled.is_set() and ctx.cancel_reason is None


@pytest.mark.parametrize(
    ("text", "parsed"),
    [(None, None), ('{"done": 4}', {"done": 4}), ("[1, 2]", [1, 2]), ("7", 7), ("{not json", None)],
)
def test_last_heartbeat_details_are_parsed(text: str | None, parsed: Any) -> None:
    assert JobContext(job(lastHeartbeatDetails=text)).last_heartbeat_details == parsed


@given(json_values)
def test_any_json_value_is_accepted_as_details(value: Any) -> None:
    assert json.loads(details_text(value)) == value


@pytest.mark.parametrize(
    "bad",
    [math.nan, math.inf, -math.inf, {"x": [math.nan]}, object(), {1j}, "\ud800", {"s": "\udfff"}],
)
def test_details_that_are_not_strict_json_are_refused(bad: Any) -> None:
    with pytest.raises(SerializationError):
        details_text(bad)
    with pytest.raises(ValueError, match="heartbeat details"):  # SerializationError is a ValueError
        JobContext(job()).heartbeat(bad)


def test_details_size_limit_is_65536_bytes_of_json() -> None:
    fits = "é" * ((MAX_DETAILS_BYTES - 2) // 2)  # two bytes each, plus the quotes
    assert len(details_text(fits).encode()) <= MAX_DETAILS_BYTES
    with pytest.raises(SerializationError, match="65536"):
        details_text("x" * (MAX_DETAILS_BYTES - 1))


def test_cycles_are_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(SerializationError):
        details_text(loop)


@pytest.mark.parametrize(
    ("timeout_ms", "interval_s"), [(None, DEFAULT_INTERVAL_S), (1500, 0.5), (30_000, 10.0), (90, 0.1)]
)
def test_heartbeat_interval(timeout_ms: int | None, interval_s: float) -> None:
    assert heartbeat_interval_s(timeout_ms) == pytest.approx(interval_s)


def test_cancel_sets_the_event_once_with_the_first_reason() -> None:
    ctx = JobContext(job())
    ctx.raise_if_cancelled()
    ctx.cancel("RunCancelled")
    ctx.cancel("StartToCloseTimeout")
    assert ctx.cancelled.is_set() and ctx.cancel_reason == "RunCancelled"
    with pytest.raises(AttemptCancelled, match="RunCancelled") as raised:
        ctx.raise_if_cancelled()
    assert raised.value.reason == "RunCancelled" and raised.value.type == "AttemptCancelled"
    assert not raised.value.non_retryable


def test_a_closed_attempt_ignores_cancel_and_heartbeats() -> None:
    ctx = JobContext(job())
    with ctx.lock:
        assert ctx.close(failed=False) is None
    ctx.cancel("RunCancelled")
    ctx.heartbeat({"late": True})
    assert not ctx.cancelled.is_set()
    with ctx.lock:
        assert ctx.due_progress(ctx.started_mono + 100) is None


def test_lazy_start_after_one_second_without_heartbeats() -> None:
    ctx = JobContext(job())
    t0 = ctx.started_mono
    with ctx.lock:
        assert ctx.due_progress(t0 + LAZY_START_S - 0.01) is None
        assert ctx.due_progress(t0 + LAZY_START_S) == ("STARTED", None)
        assert ctx.due_progress(t0 + 60) is None  # nothing pending: no HEARTBEAT by itself


def test_first_heartbeat_sends_started_with_its_details() -> None:
    ctx = JobContext(job())
    ctx.heartbeat({"done": 1})
    with ctx.lock:
        assert ctx.due_progress(ctx.started_mono + 0.01) == ("STARTED", '{"done":1}')


def test_pending_details_go_out_before_a_failure_and_are_dropped_after_a_success() -> None:
    for failed, expected in ((True, ("HEARTBEAT", '{"done":2}')), (False, None)):
        ctx = JobContext(job())
        ctx.heartbeat({"done": 1})
        with ctx.lock:
            assert ctx.due_progress(ctx.started_mono)
        ctx.heartbeat({"done": 2})  # within the 10 s interval: pending
        with ctx.lock:
            assert ctx.due_progress(ctx.started_mono + 1) is None
            assert ctx.close(failed=failed) == expected


def test_the_first_heartbeat_after_started_goes_out_at_once_then_they_are_paced() -> None:
    ctx = JobContext(job(heartbeatTimeoutMs=1500))  # interval 0.5 s
    t0 = ctx.started_mono
    with ctx.lock:
        ctx.mark_started(t0)  # a heartbeating step: STARTED went out at its start
    ctx.heartbeat({"done": 1})
    with ctx.lock:
        assert ctx.due_progress(t0 + 0.01) == ("HEARTBEAT", '{"done":1}')
    ctx.heartbeat({"done": 2})
    with ctx.lock:
        assert ctx.due_progress(t0 + 0.5) is None
        assert ctx.due_progress(t0 + 0.51) == ("HEARTBEAT", '{"done":2}')


def test_a_heartbeat_without_details_keeps_the_latest() -> None:
    ctx = JobContext(job(heartbeatTimeoutMs=300))
    ctx.heartbeat({"done": 5})
    with ctx.lock:
        assert ctx.due_progress(ctx.started_mono) == ("STARTED", '{"done":5}')
    ctx.heartbeat()
    with ctx.lock:
        assert ctx.due_progress(ctx.started_mono + 0.1) == ("HEARTBEAT", '{"done":5}')


calls = st.lists(
    st.tuples(st.floats(min_value=0, max_value=5), st.integers(min_value=0, max_value=10**6)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(calls=calls, timeout_ms=st.sampled_from([None, 300, 900, 1500, 6000]))
def test_heartbeats_are_coalesced(calls: list[tuple[float, int]], timeout_ms: int | None) -> None:
    """Driven on a simulated clock (ticks every 10 ms): the first is STARTED, the first heartbeat goes
    out at once, then at most one Progress per interval, each carries the latest details given
    before it, and the last details given are either sent or still pending (flushed on a failure)."""
    ctx = JobContext(job(heartbeatTimeoutMs=timeout_ms))
    interval = heartbeat_interval_s(timeout_ms)
    t0 = ctx.started_mono
    calls = sorted(calls)
    sent: list[tuple[float, str, str | None]] = []
    latest: str | None = None
    i = 0
    tick = 0.0
    while tick <= 6.0:
        while i < len(calls) and calls[i][0] <= tick:
            ctx.heartbeat({"n": calls[i][1]})
            latest = json.dumps({"n": calls[i][1]}, separators=(",", ":"))
            i += 1
        with ctx.lock:
            due = ctx.due_progress(t0 + tick)
        if due is not None:
            assert due[1] == latest
            sent.append((tick, due[0], due[1]))
        tick = round(tick + 0.01, 2)

    assert sent and sent[0][1] == "STARTED"
    assert all(kind == "HEARTBEAT" for _, kind, _ in sent[1:])
    # the first heartbeat goes out at once: with STARTED, or right after a STARTED sent without any
    paced = sent[1:] if sent[0][2] is None else sent
    for (a, _, _), (b, _, _) in itertools.pairwise(paced):
        assert b - a >= interval - 1e-9
    span = calls[-1][0] - calls[0][0]
    assert len(sent) <= math.ceil(span / interval) + 3
    with ctx.lock:
        flushed = ctx.close(failed=True)
    final = flushed[1] if flushed is not None else sent[-1][2]
    assert final == latest
