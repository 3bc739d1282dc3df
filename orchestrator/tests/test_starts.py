"""Starting ready steps (skip, wait, map, template) and planning a retry: decisions, no I/O."""

import uuid
from typing import Any

import orjson
import pytest

from legato.definitions import parse_definition
from legato.definitions.expressions import compile_expression, truthy
from legato.workflow import starts
from legato.workflow.model import RunRef
from legato.workflow.resume import plan_retry
from legato.workflow.transitions import Planner

pytestmark = pytest.mark.unit
NOW = 1_000_000
RUN = RunRef(uuid.UUID(int=1), "w", 1, None)
DEF = parse_definition(
    {
        "id": "w",
        "steps": [
            {"id": "v", "action": "validate"},
            {"id": "fraud", "action": "fraud", "dependsOn": ["v"], "when": "steps.v.output.total > `100`"},
            {
                "id": "each",
                "action": "line",
                "dependsOn": ["v"],
                "forEach": "steps.v.output.lines",
                "maxParallel": 2,
                "input": {"sku": "${item}", "n": "${index}", "order": "${input.id}"},
            },
            {"id": "nap", "wait": {"seconds": 5}, "dependsOn": ["each"]},
            {"id": "join", "action": "ship", "dependsOn": ["fraud", "nap"]},
            {"id": "bad", "action": "x", "dependsOn": ["v"], "input": "${length(steps.v.output.total)}"},
        ],
    }
)


def start(step_id: str, outputs: dict[str, Any], run_input: Any = None) -> Planner:
    p = Planner("jobs", NOW)
    starts.start(p, RUN, DEF.by_id[step_id], starts.context(run_input, outputs))
    return p


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (False, False),
        ("", False),
        ([], False),
        ({}, False),
        (0, True),
        ("no", True),
        ([0], True),
    ],
)
def test_jmespath_truthiness(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


def test_a_false_condition_skips_without_a_job() -> None:
    p = start("fraud", {"v": {"total": 50}})
    assert p.plan.jobs == []
    assert [(s.step_id, s.status) for s in p.plan.steps] == [("fraud", "SKIPPED")]
    assert [e.type for e in p.plan.events] == ["STEP_SKIPPED"]
    assert [e.step_id for e in p.plan.ended] == ["fraud"]


def test_a_true_condition_starts_the_step_with_the_default_input() -> None:
    p = start("fraud", {"v": {"total": 500}})
    (job,) = p.plan.jobs
    assert orjson.loads(job.payload) == {"total": 500}


def test_a_map_dispatches_max_parallel_items_and_keeps_the_rest_pending() -> None:
    p = start("each", {"v": {"lines": ["a", "b", "c"]}}, {"id": 9})
    assert [(i.item_index, i.status) for i in p.plan.items] == [
        (0, "RUNNING"),
        (1, "RUNNING"),
        (2, "PENDING"),
    ]
    assert [orjson.loads(i.input) for i in p.plan.items][2] == {"sku": "c", "n": 2, "order": 9}
    assert [j.item_index for j in p.plan.jobs] == [0, 1]
    assert p.plan.steps[0].items == 3


def test_a_map_over_nothing_completes_at_once_and_over_a_non_list_fails() -> None:
    empty = start("each", {"v": {"lines": []}})
    assert empty.plan.steps[0].status == "COMPLETED" and empty.plan.steps[0].output == "[]"
    assert empty.plan.ended
    bad = start("each", {"v": {"lines": "abc"}})
    assert bad.plan.steps[0].status == "FAILED"
    assert bad.plan.runs[0].status == "FAILED"


def test_a_wait_sets_its_timer_and_passes_its_input_on() -> None:
    p = start("nap", {"each": [1, 2]})
    (step,) = p.plan.steps
    # a relative wait wakes by the database's clock: the plan carries the delay, not a time
    assert (step.status, step.wake_at_ms, step.wake_in_ms, step.input) == ("WAITING", None, 5000, "[1,2]")
    assert [e.type for e in p.plan.events] == ["TIMER_CREATED"]


def test_an_evaluation_error_fails_the_step_and_the_run_without_a_job() -> None:
    p = start("bad", {"v": {"total": 5}})
    assert p.plan.jobs == [] and p.plan.dead_letters == []
    error = orjson.loads(p.plan.steps[0].error or "{}")
    assert error["type"] == "ExpressionError" and error["nonRetryable"] is True
    assert p.plan.runs[0].status == "FAILED"


def test_several_sinks_make_an_object_without_the_skipped_ones() -> None:
    d = parse_definition({"id": "w", "steps": [{"id": "a", "action": "x"}, {"id": "b", "action": "x"}]})
    p = Planner("jobs", NOW)
    starts.complete_run(p, RUN, d, {"a": ("COMPLETED", 1), "b": ("SKIPPED", None)})
    assert orjson.loads(p.plan.runs[0].output or "") == {"a": 1}


def test_retry_keeps_done_steps_and_restarts_from_the_failure() -> None:
    states = {
        "v": "COMPLETED",
        "fraud": "SKIPPED",
        "each": "DEAD_LETTERED",
        "nap": "PENDING",
        "join": "PENDING",
        "bad": "CANCELLED",
    }
    plan = plan_retry(DEF, states)
    assert plan.pending_deps == {"each": 0, "nap": 1, "join": 1, "bad": 0}
    assert plan.ready == ("each", "bad")
    assert plan.open_sinks == 2


def test_expressions_run_against_the_context() -> None:
    ctx = starts.context({"c": "Ada"}, {"validate": {"total": 7}})
    assert compile_expression("steps.validate.output.total").evaluate(ctx) == 7
    assert compile_expression("input.c").evaluate(ctx) == "Ada"


KINDS = parse_definition(
    {
        "id": "k",
        "steps": [
            {"id": "ask", "signal": {"name": "approval", "timeoutSeconds": 30}},
            {
                "id": "ship",
                "workflow": {"id": "shipping"},
                "dependsOn": ["ask"],
                "input": {"o": "${steps.ask.output}"},
            },
        ],
    }
)


def test_a_signal_step_waits_with_its_timeout_and_asks_for_delivery() -> None:
    p = Planner("jobs", NOW)
    starts.start(p, RUN, KINDS.by_id["ask"], starts.context(None, {}))
    (step,) = p.plan.steps
    assert (step.status, step.attempts, step.wake_in_ms, p.plan.jobs) == ("WAITING", 1, 30_000, [])
    assert [e.type for e in p.plan.events] == ["SIGNAL_WAITING"]
    assert p.plan.signal_waits == [RUN]  # settle hands it a queued signal in the same transaction


def test_a_workflow_step_plans_one_child_with_its_rendered_input() -> None:
    p = Planner("jobs", NOW)
    starts.start(p, RUN, KINDS.by_id["ship"], starts.context(None, {"ask": {"ok": True}}))
    (child,) = p.plan.children
    assert (child.workflow_id, child.version, child.attempt, orjson.loads(child.input)) == (
        "shipping",
        None,
        1,
        {"o": {"ok": True}},
    )
    assert [(s.status, s.attempts) for s in p.plan.steps] == [("RUNNING", 1)] and p.plan.jobs == []


def test_a_timed_out_wait_or_failed_child_retries_by_its_policy_then_fails_the_run() -> None:
    once = Planner("jobs", NOW)
    starts.retry_or_fail(once, RUN, KINDS.by_id["ask"], 1, "SignalTimeout", "no signal", {})
    assert [s.status for s in once.plan.steps] == ["FAILED"] and once.plan.runs[0].status == "FAILED"
    retried = parse_definition(
        {
            "id": "r",
            "steps": [
                {"id": "c", "workflow": {"id": "x"}, "retry": {"maxAttempts": 2, "initialDelayMs": 50}}
            ],
        }
    ).by_id["c"]
    again = Planner("jobs", NOW)
    starts.retry_or_fail(again, RUN, retried, 1, "ChildFailed", "child failed", {"childRunId": "c1"})
    (step,) = again.plan.steps
    assert (step.status, step.attempts, step.wake_in_ms, again.plan.runs) == ("RETRYING", 2, 50, [])
    last = Planner("jobs", NOW)
    starts.retry_or_fail(last, RUN, retried, 2, "ChildFailed", "child failed", {"childRunId": "c2"})
    assert orjson.loads(last.plan.runs[0].error or "{}")["childRunId"] == "c2"
