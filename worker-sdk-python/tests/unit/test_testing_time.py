"""The test kit's clock, signals, waits and child runs."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from legato_worker.testing import RunCancelled, RunFailed, TestEnvironment

pytestmark = pytest.mark.unit

APPROVAL = {
    "id": "approval",
    "steps": [
        {"id": "ask", "signal": {"name": "ok", "timeoutSeconds": 3600, "default": {"ok": False}}},
        {"id": "done", "action": "echo", "dependsOn": ["ask"]},
    ],
}


def env_with_echo(**kwargs: Any) -> TestEnvironment:
    env = TestEnvironment(**kwargs)
    env.register("echo", lambda p: p)
    return env


def test_a_run_waits_for_its_signal_until_one_is_sent() -> None:
    env = env_with_echo()
    run = env.start(APPROVAL)
    assert (run.status, run.steps["ask"].status) == ("RUNNING", "WAITING")
    assert run.steps["ask"].wake_at == env.now + timedelta(hours=1)
    answer = env.signal(run, "ok", {"ok": True}, signal_id="s-1")
    assert answer["consumedBy"] == "ask" and answer["duplicate"] is False
    assert run.result() == {"ok": True}
    assert env.signal(run, "ok", {"ok": 2}, signal_id="s-1")["duplicate"] is True  # after the end too
    with pytest.raises(RuntimeError, match="COMPLETED"):
        env.signal(run, "ok", {"ok": 3})


def test_time_passes_a_signal_timeout_only_when_advanced() -> None:
    env = env_with_echo()
    run = env.start(APPROVAL)
    assert env.advance(60) == 60 and run.status == "RUNNING"
    assert env.advance() == 3600 - 60
    assert run.result() == {"ok": False}
    types = run.event_types
    assert types[types.index("SIGNAL_TIMED_OUT") + 1] == "STEP_COMPLETED"
    assert run.history[types.index("SIGNAL_TIMED_OUT") + 1]["data"] == {"default": True}


def test_a_timeout_without_default_fails_with_signal_timeout_and_retries_wait_again() -> None:
    env = env_with_echo()
    wf = {
        "id": "strict",
        "steps": [
            {
                "id": "ask",
                "signal": {"name": "ok", "timeoutSeconds": 10},
                "retry": {"maxAttempts": 2, "initialDelayMs": 5000},
            }
        ],
    }
    run = env.start(wf)
    env.advance()  # the first wait times out; the retry delay then passes by itself
    assert (run.steps["ask"].status, run.steps["ask"].attempts) == ("WAITING", 2)
    env.advance()
    assert env.now == datetime(2030, 1, 1, tzinfo=UTC) + timedelta(seconds=10 + 5 + 10)
    with pytest.raises(RunFailed) as failed:
        run.result()
    assert failed.value.error["type"] == "SignalTimeout"
    assert failed.value.error["message"] == "no signal 'ok' arrived within timeoutSeconds (10 s)"


def test_a_scheduled_signal_arrives_on_the_clock() -> None:
    env = env_with_echo()
    run = env.start(APPROVAL)
    env.signal_at(run, "ok", {"ok": "late"}, after_seconds=1800)
    assert run.result() == {"ok": "late"}
    assert env.now == datetime(2030, 1, 1, 0, 30, tzinfo=UTC)
    env2 = env_with_echo()
    run2 = env2.start(APPROVAL)
    env2.signal_at(run2, "ok", {"ok": "too late"}, after_seconds=7200)
    assert run2.status == "RUNNING"  # the timeout comes first: it waits for advance()
    env2.advance()
    assert run2.result() == {"ok": False}


def test_a_signal_sent_before_its_step_waits_is_kept() -> None:
    wf = {
        "id": "later",
        "steps": [
            {"id": "pause", "wait": {"seconds": 30}},
            {"id": "ask", "dependsOn": ["pause"], "signal": {"name": "go"}},
        ],
    }
    env = env_with_echo(skip_time=False)
    run = env.start(wf, input="in")
    assert run.steps["pause"].status == "WAITING"
    assert env.signal(run, "go", "early")["consumedBy"] is None  # kept for the step
    with pytest.raises(ValueError, match="its signals: go"):
        env.signal(run, "stop")
    assert env.advance() == 30
    assert run.result() == "early"
    assert env_with_echo().start(wf).steps["ask"].status == "WAITING"  # skip_time: the wait passed


def test_waits_until_are_relative_to_the_virtual_clock() -> None:
    env = env_with_echo(start=datetime(2031, 6, 1, 12, tzinfo=UTC), skip_time=False)
    wf = {"id": "w", "steps": [{"id": "nine", "wait": {"until": "2031-06-02T09:00:00+00:00"}}]}
    run = env.start(wf, input={"x": 1})
    created = next(e for e in run.history if e["type"] == "TIMER_CREATED")
    assert created["data"] == {"wakeAt": "2031-06-02T09:00:00+00:00"}
    assert env.advance() == 21 * 3600
    assert run.result() == {"x": 1}  # a wait's output is its input
    assert run.event_types[-3:] == ["TIMER_FIRED", "STEP_COMPLETED", "RUN_COMPLETED"]


def test_child_workflows_run_in_the_same_environment() -> None:
    env = env_with_echo()
    env.register("fail", lambda p: (_ for _ in ()).throw(ValueError("bad child")))
    env.define({"id": "kid", "steps": [{"id": "k", "action": "echo", "input": {"got": "${input}"}}]})
    env.define({"id": "bad-kid", "steps": [{"id": "k", "action": "fail", "retry": {"maxAttempts": 1}}]})
    parent = {"id": "parent", "steps": [{"id": "c", "workflow": {"id": "kid"}, "input": "${input.v}"}]}
    run = env.start(parent, input={"v": 7})
    assert run.result() == {"got": 7}
    child = run.steps["c"].child_run
    assert child is not None and child.parent is not None and child.parent.run_id == run.run_id
    assert child.history[0]["data"] == {"version": 1, "parentRunId": run.run_id, "parentStepId": "c"}
    failing = env.start({"id": "p2", "steps": [{"id": "c", "workflow": {"id": "bad-kid"}}]})
    assert failing.error["type"] == "ChildFailed" and failing.error["childError"]["type"] == "ValueError"
    unknown = env.start({"id": "p3", "steps": [{"id": "c", "workflow": {"id": "nobody"}}]})
    assert unknown.error["type"] == "UnknownWorkflow"


def test_cancel_cancels_open_children() -> None:
    env = env_with_echo()
    env.define(APPROVAL)
    run = env.start({"id": "outer", "steps": [{"id": "c", "workflow": {"id": "approval"}}]})
    child = run.steps["c"].child_run
    assert child is not None and child.status == "RUNNING"
    env.cancel(run)
    assert (run.status, child.status) == ("CANCELLED", "CANCELLED")
    assert child.history[-1]["data"] == {"reason": "the parent run ended"}
    with pytest.raises(RunCancelled):
        run.result()


def test_concurrency_keys_queue_runs() -> None:
    env = env_with_echo()
    wf = {**APPROVAL, "id": "keyed", "concurrency": {"key": "${input.customer}", "limit": 1}}
    first = env.start(wf, input={"customer": "c-1"})
    second = env.start(wf, input={"customer": "c-1"})
    other = env.start(wf, input={"customer": "c-2"})
    assert (first.status, second.status, other.status) == ("RUNNING", "PENDING", "RUNNING")
    assert second.concurrency_key == "c-1"
    env.signal(first, "ok", {"ok": True})
    assert second.status == "RUNNING" and "RUN_STARTED" in second.event_types
