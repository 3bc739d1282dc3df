"""The builder makes every golden workflow of tests/conformance/builders byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from legato_worker import Concurrency, Retry, Workflow, ref, step_ref

GOLDEN = Path(__file__).resolve().parents[3] / "tests" / "conformance" / "builders"

pytestmark = pytest.mark.unit


def hello() -> Workflow:
    return (
        Workflow("hello")
        .step("a", action="x")
        .step("b", action="y", depends_on=["a"], input=ref("steps.a.output"))
    )


def every_kind() -> Workflow:
    return (
        Workflow(
            "every-kind",
            concurrency=Concurrency(ref("input.customerId"), 2),
            max_backlog=1000,
            priority=2,
        )
        .step(
            "validate",
            action="validate-order",
            retry=Retry(
                max_attempts=5,
                initial_delay_ms=200,
                backoff_coefficient=1.5,
                max_delay_ms=10_000,
                jitter=0.25,
                non_retryable_errors=["BadOrder"],
            ),
            start_to_close_seconds=30,
            schedule_to_start_seconds=60,
            heartbeat_seconds=2.5,
        )
        .step(
            "reserve-stock",
            action="reserve",
            depends_on=["validate"],
            for_each="steps.validate.output.lines",
            max_parallel=4,
            on_item_failure="continue",
            input={"sku": ref("item.sku"), "line": ref("index")},
        )
        .step(
            "fraud",
            action="review-fraud",
            depends_on=["validate"],
            when="steps.validate.output.total > `500`",
            input={"total": step_ref("validate", "output.total"), "customer": ref("input.customer")},
        )
        .wait("cool-off", seconds=30, depends_on=["fraud"])
        .wait("deadline", until=datetime(2027, 1, 1, tzinfo=UTC), depends_on=["validate"])
        .signal(
            "approval",
            name="approve",
            timeout_seconds=3600,
            default={"approved": False},
            depends_on=["cool-off", "deadline"],
        )
        .child(
            "ship",
            workflow="shipping",
            version=2,
            depends_on=["reserve-stock", "approval"],
            retry=Retry(max_attempts=2),
            input={
                "stock": step_ref("reserve-stock", "output"),
                "approved": ref("steps.approval.output.approved"),
            },
        )
        .step(
            "notify",
            action="email",
            depends_on=["ship"],
            input={
                "express": ref("input.express || `false`"),
                "lines": [1, 2.5, None, True, "x"],
                "note": "Grüße, 東京 ✓",
            },
        )
    )


@pytest.mark.parametrize(("name", "build"), [("hello", hello), ("every-kind", every_kind)])
def test_builder_writes_the_golden_bytes(name: str, build: object) -> None:
    assert callable(build)
    workflow = build()
    assert (workflow.to_json() + "\n").encode() == (GOLDEN / f"{name}.json").read_bytes()


def test_every_golden_file_has_a_builder_here() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == ["every-kind", "hello"]
