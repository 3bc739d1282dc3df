"""The order-approval workflow (examples/workflows/order-approval.json) through the test kit:
the example handlers of dag_worker.py, a scripted approval signal, its shipping child workflow,
and the run's history, with no Kafka and no database (docs/testing.md)."""

import json
from pathlib import Path
from typing import Any

import dag_worker
import pytest

from legato_worker.testing import TestEnvironment

pytestmark = pytest.mark.unit
WORKFLOWS = Path(__file__).parent.parent / "workflows"


def load(name: str) -> Any:
    return json.loads((WORKFLOWS / f"{name}.json").read_text())


@pytest.fixture
def env() -> TestEnvironment:
    env = TestEnvironment()
    for action, handler in dag_worker.HANDLERS.items():
        env.register(action, handler)
    env.define(load("shipping"))
    return env


def test_an_approved_order_is_paid_and_shipped_by_the_child_workflow(env: TestEnvironment) -> None:
    order = load("order-approval.trigger")["input"]
    run = env.start(load("order-approval"), input=order)
    assert run.status == "RUNNING" and run.steps["approve"].status == "WAITING"

    env.signal(run, "approval", {"approved": True, "by": "ana"})

    output = run.result()
    assert output == run.steps["ship"].output  # the run's output is the child run's
    assert output["orderId"] == "ord-3001" and output["service"] == "standard"
    assert output["trackingNumber"].startswith("TRK-") and output["emailedTo"] == "katherine@example.com"
    assert run.steps["payment"].output["amount"] == 1275.5
    assert run.event_types == [
        "RUN_CREATED",
        "STEP_SCHEDULED",  # check
        "STEP_COMPLETED",
        "SIGNAL_WAITING",  # approve
        "SIGNAL_RECEIVED",
        "SIGNAL_CONSUMED",
        "STEP_COMPLETED",
        "STEP_SCHEDULED",  # payment
        "STEP_COMPLETED",
        "CHILD_STARTED",  # ship
        "CHILD_ENDED",
        "STEP_COMPLETED",
        "RUN_COMPLETED",
    ]
    child = run.steps["ship"].child_run
    assert child is not None and child.workflow_id == "shipping"
    assert child.event_types == [
        "RUN_CREATED",
        "STEP_SCHEDULED",  # label
        "STEP_COMPLETED",
        "STEP_SCHEDULED",  # notify
        "STEP_COMPLETED",
        "TIMER_CREATED",  # shipped: a wait of 0 s
        "TIMER_FIRED",
        "STEP_COMPLETED",
        "RUN_COMPLETED",
    ]


def test_no_answer_within_a_day_takes_the_default_and_skips_payment(env: TestEnvironment) -> None:
    run = env.start(load("order-approval"), input=load("order-approval.trigger")["input"])
    assert env.advance() == 86400  # the signal's timeout, on the virtual clock
    assert run.result() is None  # the single sink was skipped
    assert (run.steps["payment"].status, run.steps["ship"].status) == ("SKIPPED", "SKIPPED")
    assert run.steps["approve"].output == {"approved": False, "by": "timeout"}


def test_a_declined_card_fails_the_run_without_retries(env: TestEnvironment) -> None:
    order = {**load("order-approval.trigger")["input"], "card": "4000000000000000"}
    run = env.start(load("order-approval"), input=order)
    env.signal(run, "approval", {"approved": True, "by": "ana"})
    assert run.status == "FAILED" and run.steps["payment"].attempts == 1
    assert run.error["type"] == "CardDeclined" and run.steps["ship"].status == "PENDING"
