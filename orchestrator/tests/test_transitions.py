"""The engine's decisions for attempt outcomes, with no I/O."""

import uuid

import pytest

from legato.definitions import parse_definition
from legato.engine.model import Claimed
from legato.engine.transitions import OWNERSHIP_GRACE_MS, Planner

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


def test_completion_starts_the_next_step_with_the_output() -> None:
    p = Planner("jobs", NOW)
    p.outcome(claimed("a", "COMPLETED", output='{"x": 1}'), DEF)
    plan = p.plan
    assert [(s.step_id, s.status) for s in plan.steps] == [("a", "COMPLETED"), ("b", "RUNNING")]
    (job,) = plan.jobs
    assert (job.step_id, job.attempt, job.payload, job.topic) == ("b", 1, '{"x": 1}', "jobs.b")
    assert job.immediate and job.not_before_ms == NOW + OWNERSHIP_GRACE_MS
    assert job.version == 3 and job.correlation_id == "c"
    assert plan.runs == [] and plan.dead_letters == []


def test_completion_of_the_last_step_completes_the_run_with_its_output() -> None:
    p = Planner("jobs", NOW)
    p.outcome(claimed("b", "COMPLETED", output="42"), DEF)
    (run,) = p.plan.runs
    assert (run.status, run.output) == ("COMPLETED", "42")
    assert [e.type for e in p.plan.events] == ["STEP_COMPLETED", "RUN_COMPLETED"]


def test_failure_with_attempts_left_schedules_a_delayed_retry() -> None:
    p = Planner("jobs", NOW)
    p.outcome(claimed("a", "FAILED", failure={"type": "Boom", "message": "m", "nonRetryable": False}), DEF)
    (job,) = p.plan.jobs
    assert (job.attempt, job.immediate, job.not_before_ms, job.payload) == (2, False, NOW + 500, '"in"')
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
