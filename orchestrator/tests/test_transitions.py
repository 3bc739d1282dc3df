"""The engine's decisions for attempt outcomes, with no I/O."""

import uuid

import pytest

from legato.definitions import parse_definition
from legato.workflow import starts
from legato.workflow.model import Claimed, RunRef
from legato.workflow.transitions import OWNERSHIP_GRACE_MS, Planner

pytestmark = pytest.mark.unit

DEF = parse_definition(
    {
        "id": "w",
        "steps": [
            {"action": "a", "stepIndex": 0, "retry": {"maxAttempts": 2, "initialDelayMs": 500}},
            {"action": "b", "stepIndex": 1, "retry": {"nonRetryableErrors": ["Fatal"]}},
        ],
    }
)
NOW = 1_000_000


def claimed(step: str, status: str, attempt: int = 1, **kw: object) -> Claimed:
    return Claimed(
        job_id=uuid.uuid4(),
        run_id=uuid.UUID(int=7),
        step_id=step,
        attempt=attempt,
        action=step,
        payload='"in"',
        workflow_id="w",
        version=3,
        correlation_id="c",
        status=status,
        **kw,  # type: ignore[arg-type]
    )


def test_completion_records_the_output_and_that_the_step_ended() -> None:
    p = Planner("jobs", NOW)
    p.outcome(claimed("a", "COMPLETED", output='{"x": 1}'), DEF)
    plan = p.plan
    assert [(s.step_id, s.status, s.output) for s in plan.steps] == [("a", "COMPLETED", '{"x": 1}')]
    assert [(e.run.run_id, e.step_id) for e in plan.ended] == [(uuid.UUID(int=7), "a")]
    assert plan.jobs == [] and plan.runs == [] and plan.dead_letters == []  # dependants: workflow.settle


def test_starting_a_step_schedules_an_immediate_job_with_its_input() -> None:
    p = Planner("jobs", NOW)
    run = RunRef(uuid.UUID(int=7), "w", 3, "c")
    starts.start(p, run, DEF.by_id["b"], starts.context("in", {"a": {"x": 1}}))
    (job,) = p.plan.jobs
    assert (job.step_id, job.attempt, job.payload, job.topic) == ("b", 1, '{"x":1}', "jobs.b")
    assert job.immediate and job.delay_ms == OWNERSHIP_GRACE_MS
    assert job.version == 3 and job.correlation_id == "c"
    assert p.plan.steps[0].status == "RUNNING"


def test_the_last_step_completes_the_run_with_its_output() -> None:
    p = Planner("jobs", NOW)
    starts.complete_run(p, RunRef(uuid.UUID(int=7), "w", 3, "c"), DEF, {"b": ("COMPLETED", 42)})
    (run,) = p.plan.runs
    assert (run.status, run.output) == ("COMPLETED", "42")
    assert [e.type for e in p.plan.events] == ["RUN_COMPLETED"]


def test_failure_with_attempts_left_schedules_a_delayed_retry() -> None:
    p = Planner("jobs", NOW)
    p.outcome(claimed("a", "FAILED", failure={"type": "Boom", "message": "m", "nonRetryable": False}), DEF)
    (job,) = p.plan.jobs
    assert (job.attempt, job.immediate, job.delay_ms, job.payload) == (2, False, 500, '"in"')
    assert p.plan.steps[0].status == "RETRYING"
    assert p.plan.runs == []


def test_exhausted_attempts_dead_letter_the_step_and_fail_the_run() -> None:
    p = Planner("jobs", NOW)
    p.outcome(claimed("a", "FAILED", attempt=2, failure={"type": "Boom", "message": "m"}), DEF)
    assert p.plan.jobs == []
    (dl,) = p.plan.dead_letters
    assert (dl.reason, dl.error_type) == ("retries-exhausted", "Boom")
    assert p.plan.steps[0].status == "DEAD_LETTERED"
    assert p.plan.runs[0].status == "FAILED"


@pytest.mark.parametrize(
    "failure",
    [
        {"type": "Anything", "message": "m", "nonRetryable": True},
        {"type": "Fatal", "message": "m", "nonRetryable": False},
    ],
)
def test_non_retryable_errors_skip_the_remaining_retries(failure: dict[str, object]) -> None:
    p = Planner("jobs", NOW)
    p.outcome(claimed("b", "FAILED", failure=failure), DEF)
    assert p.plan.jobs == []
    assert p.plan.dead_letters[0].reason == "non-retryable"


def test_timeout_counts_as_a_failed_attempt() -> None:
    p = Planner("jobs", NOW)
    p.outcome(claimed("a", "TIMED_OUT", attempt=2, failure={"type": "Timeout", "message": "late"}), DEF)
    assert p.plan.dead_letters[0].reason == "timed-out"
    assert p.plan.events[0].type == "STEP_TIMED_OUT"
