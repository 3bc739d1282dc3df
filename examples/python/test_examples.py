"""The example handlers, called directly (no Kafka): examples are tested code."""

import json
import platform
from pathlib import Path
from typing import Any

import order_worker
import pytest
import worker

from legato_worker import ApplicationError, NonRetryableError

pytestmark = pytest.mark.unit
WORKFLOWS = Path(__file__).parent.parent / "workflows"


def trigger_input(name: str) -> Any:
    return json.loads((WORKFLOWS / f"{name}.trigger.json").read_text())["input"]


def run_linear(definition: str, value: Any) -> Any:
    """What the orchestrator does with a linear workflow: each output feeds the next step."""
    steps = json.loads((WORKFLOWS / f"{definition}.json").read_text())["steps"]
    handlers = {**HANDLERS, **ORDER_HANDLERS}
    for step in sorted(steps, key=lambda s: s["stepIndex"]):
        value = json.loads(json.dumps(handlers[step["action"]](value)))  # through the wire
    return value


HANDLERS = {"step1": worker.step1, "step2": worker.step2, "hand-python": worker.hand_python}
ORDER_HANDLERS = {
    "validate-order": order_worker.validate_order,
    "reserve-stock": order_worker.reserve_stock,
    "charge-card": order_worker.charge_card,
    "ship-order": order_worker.ship_order,
}


def test_workers_register_every_example_action() -> None:
    assert worker.build_worker().actions == list(HANDLERS)
    assert order_worker.build_worker().actions == list(ORDER_HANDLERS)


def test_seed_workflow() -> None:
    assert run_linear("my-first-workflow", "Hello World") == "Step 2 done: Processed: Hello World"


def test_hand_python_appends_to_the_trail() -> None:
    out = worker.hand_python({"trail": ["node 22.1.0"], "note": "kept"})
    assert out == {"trail": ["node 22.1.0", f"python {platform.python_version()}"], "note": "kept"}
    assert worker.hand_python({})["trail"] == [f"python {platform.python_version()}"]
    with pytest.raises(NonRetryableError):
        worker.hand_python("not a dict")


def test_order_fulfilment_happy_path() -> None:
    order = trigger_input("order-fulfilment")
    out = run_linear("order-fulfilment", order)
    assert out["status"] == "SHIPPED"
    assert out["payment"] == {"id": out["payment"]["id"], "amount": 28.25, "last4": "4242"}
    assert "card" not in out
    assert out["reservation"]["skus"] == ["BOOK-42", "PEN-7"]
    assert out["shipment"]["trackingNumber"].startswith("TRK-")
    assert run_linear("order-fulfilment", order) == out  # deterministic: safe to retry


def test_declined_card_is_non_retryable() -> None:
    order = order_worker.reserve_stock(
        order_worker.validate_order(trigger_input("order-fulfilment.declined"))
    )
    with pytest.raises(NonRetryableError) as caught:
        order_worker.charge_card(order)
    assert caught.value.type == "CardDeclined"
    assert caught.value.details == {"last4": "0000", "code": "51"}


@pytest.mark.parametrize(
    ("order", "problem"),
    [
        (trigger_input("order-fulfilment.invalid"), "items must be a non-empty list"),
        ("nope", "JSON object"),
        ({"orderId": "o", "items": ["A"], "total": 1}, "items[0] must be an object"),
        ({"orderId": "o", "items": [{"sku": "A", "qty": 0, "price": 1}], "total": 0}, "qty"),
        ({"orderId": "o", "items": [{"sku": "A", "qty": 1, "price": -1}], "total": -1}, "price"),
        ({"orderId": "o", "items": [{"sku": "A", "qty": 2, "price": 1.1}], "total": 2.3}, "add up"),
        ({"items": [{"sku": "A", "qty": 1, "price": 1}], "total": 1}, "orderId"),
    ],
)
def test_invalid_orders_are_rejected(order: Any, problem: str) -> None:
    with pytest.raises(NonRetryableError) as caught:
        order_worker.validate_order(order)
    assert caught.value.type == "InvalidOrder"
    assert problem in caught.value.message


def test_floating_point_totals_are_compared_exactly() -> None:
    order = {"orderId": "o", "items": [{"sku": "A", "qty": 3, "price": 0.1}], "total": 0.3}
    assert order_worker.validate_order(order)["status"] == "VALIDATED"


def test_out_of_stock_is_retryable() -> None:
    order = {"orderId": "o", "items": [{"sku": "OOS-1", "qty": 1, "price": 1}], "total": 1}
    with pytest.raises(ApplicationError) as caught:
        order_worker.reserve_stock(order)
    assert caught.value.type == "OutOfStock"
    assert caught.value.non_retryable is False
