"""The order-fulfilment DAG run in-process: its templates, condition and map against the handlers.

The orchestrator's own definition parser and template evaluation are used, in dependency order,
with the outputs passed through JSON as on the wire; the wait is a no-op here.
"""

import json
from pathlib import Path
from typing import Any

import dag_worker
import pytest

from legato.definitions import parse_definition, truthy
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
