"""The order-fulfilment DAG and the order-approval workflow (with its shipping child) run in-process:
their templates, conditions, map, signal and child workflow against the handlers.

The orchestrator's own definition parser and template evaluation are used, in dependency order,
with the outputs passed through JSON as on the wire; a wait is a no-op here, a signal step takes the
payload the test gives it (or its default), and a workflow step runs its child the same way.
"""

import json
from pathlib import Path
from typing import Any

import dag_worker
import pytest

from legato.definitions import Definition, parse_definition, truthy
from legato.workflow.starts import context, default_input
from legato_worker import NonRetryableError

pytestmark = pytest.mark.unit
WORKFLOWS = Path(__file__).parent.parent / "workflows"
DAG = parse_definition(json.loads((WORKFLOWS / "order-fulfilment-dag.json").read_text()))


def run_dag(order: Any) -> tuple[dict[str, Any], dict[str, str]]:
    outputs: dict[str, Any] = {}
    statuses: dict[str, str] = {}
    for step in DAG.steps:  # listed in dependency order
        ctx = context(order, {d: outputs[d] for d in DAG.by_id if d in outputs})
        if step.when is not None and not truthy(step.when.evaluate(ctx)):
            outputs[step.id], statuses[step.id] = None, "SKIPPED"
            continue
        if step.wait is not None:
            outputs[step.id] = default_input(step, ctx)
        elif step.for_each is not None:
            items = step.for_each.evaluate(ctx)
            assert step.input is not None and step.action is not None
            outputs[step.id] = [
                dag_worker.HANDLERS[step.action](step.input.render({**ctx, "item": item, "index": i}))
                for i, item in enumerate(items)
            ]
        else:
            assert step.action is not None
            payload = step.input.render(ctx) if step.input else default_input(step, ctx)
            outputs[step.id] = dag_worker.HANDLERS[step.action](payload)
        outputs[step.id] = json.loads(json.dumps(outputs[step.id]))  # through the wire
        statuses[step.id] = "COMPLETED"
    return outputs, statuses


def trigger_input() -> Any:
    return json.loads((WORKFLOWS / "order-fulfilment-dag.trigger.json").read_text())["input"]


def test_the_worker_registers_every_action_of_the_dag() -> None:
    actions = {s.action for s in DAG.steps if s.action}
    assert set(dag_worker.build_worker().actions) == actions


def test_happy_path_skips_the_fraud_review_and_ships_every_line() -> None:
    outputs, statuses = run_dag(trigger_input())
    assert statuses["fraud-review"] == "SKIPPED"
    assert [r["sku"] for r in outputs["reserve"]] == ["BOOK-42", "PEN-7", "LAMP-3"]
    assert outputs["ship"]["parcels"] == 3 and outputs["ship"]["service"] == "express"
    assert outputs["notify"]["to"] == "grace@example.com"
    assert outputs["ship"]["trackingNumber"] in outputs["notify"]["subject"]
    assert "card" not in json.dumps(outputs["check"])


def test_a_large_order_goes_through_fraud_review() -> None:
    order = trigger_input()
    order["items"] = [{"sku": "TV-1", "qty": 1, "price": 900}]
    order["total"] = 900
    _, statuses = run_dag(order)
    assert statuses["fraud-review"] == "COMPLETED"


def test_a_declined_card_is_non_retryable() -> None:
    order = {**trigger_input(), "card": "4000000000000000"}
    with pytest.raises(NonRetryableError):
        run_dag(order)


def load(name: str) -> Definition:
    return parse_definition(json.loads((WORKFLOWS / f"{name}.json").read_text()))


APPROVAL = load("order-approval")
CHILDREN = {"shipping": load("shipping")}


def run_graph(
    definition: Definition, run_input: Any, signals: dict[str, Any]
) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """A run of any example graph: its output, and every step's output and status. A signal step
    takes `signals[name]`, or its default when the test sends none (it timed out)."""
    outputs: dict[str, Any] = {}
    statuses: dict[str, str] = {}
    for step in definition.steps:
        ctx = context(run_input, outputs)
        if step.when is not None and not truthy(step.when.evaluate(ctx)):
            outputs[step.id], statuses[step.id] = None, "SKIPPED"
            continue
        payload = step.input.render(ctx) if step.input else default_input(step, ctx)
        if step.signal is not None:
            assert step.signal.name in signals or step.signal.has_default
            outputs[step.id] = signals.get(step.signal.name, step.signal.default)
        elif step.child is not None:
            outputs[step.id] = run_graph(CHILDREN[step.child.workflow_id], payload, signals)[0]
        elif step.wait is not None:
            outputs[step.id] = payload
        else:
            assert step.action is not None and step.for_each is None
            outputs[step.id] = dag_worker.HANDLERS[step.action](payload)
        outputs[step.id] = json.loads(json.dumps(outputs[step.id]))  # through the wire
        statuses[step.id] = "COMPLETED"
    ended = {s: outputs[s] for s in definition.sinks if statuses[s] != "SKIPPED"}
    if len(definition.sinks) == 1:
        return ended.get(definition.sinks[0]), outputs, statuses
    return ended, outputs, statuses


def approval_input() -> Any:
    return json.loads((WORKFLOWS / "order-approval.trigger.json").read_text())["input"]


def test_the_worker_registers_every_action_of_the_approval_and_its_child() -> None:
    actions = {s.action for d in (APPROVAL, *CHILDREN.values()) for s in d.steps if s.action}
    assert actions <= set(dag_worker.build_worker().actions)
    assert {s.child.workflow_id for s in APPROVAL.steps if s.child} == set(CHILDREN)


def test_an_approved_order_is_paid_and_its_output_is_the_shipping_childs() -> None:
    approval = {"approved": True, "by": "ana"}
    output, outputs, statuses = run_graph(APPROVAL, approval_input(), {"approval": approval})
    assert set(statuses.values()) == {"COMPLETED"}
    assert outputs["approve"] == approval
    assert outputs["payment"]["amount"] == 1275.5
    assert output == outputs["ship"]  # the run's output is the child run's
    assert output["orderId"] == "ord-3001" and output["service"] == "standard"
    assert output["trackingNumber"].startswith("TRK-")
    assert output["emailedTo"] == "katherine@example.com"


@pytest.mark.parametrize("signals", [{}, {"approval": {"approved": False, "by": "ana"}}])
def test_a_refusal_or_no_answer_in_time_skips_payment_and_shipping(signals: dict[str, Any]) -> None:
    output, outputs, statuses = run_graph(APPROVAL, approval_input(), signals)
    assert (statuses["payment"], statuses["ship"]) == ("SKIPPED", "SKIPPED")
    assert output is None
    if not signals:  # the wait timed out: the step completed with its default
        assert outputs["approve"] == {"approved": False, "by": "timeout"}
