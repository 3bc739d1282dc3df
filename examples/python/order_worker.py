"""Handlers of the `order-fulfilment` workflow: validate -> reserve stock -> charge -> ship.

Each step receives the order as the previous step left it and returns it with its own part added,
so the run's output is the whole story. Ids are derived from the order id, which makes every step
idempotent: a retried attempt returns the same reservation, payment and tracking number.

Run it with `python examples/python/order_worker.py` (config from LEGATO_* env vars).
"""

import hashlib
from decimal import Decimal
from typing import Any

from legato_worker import ApplicationError, NonRetryableError, Worker

Order = dict[str, Any]


def _ref(kind: str, order: Order) -> str:
    digest = hashlib.sha256(f"{kind}:{order['orderId']}".encode()).hexdigest()[:10]
    return f"{kind}-{digest}"


def _problems(order: Any) -> list[str]:
    if not isinstance(order, dict):
        return ["the order must be a JSON object"]
    problems = []
    if not isinstance(order.get("orderId"), str) or not order["orderId"]:
        problems.append("orderId must be a non-empty string")
    items = order.get("items")
    if not isinstance(items, list) or not items:
        return [*problems, "items must be a non-empty list"]
    total = Decimal(0)
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("sku"), str):
            problems.append(f"items[{i}] must be an object with a string sku")
            continue
        qty, price = item.get("qty"), item.get("price")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            problems.append(f"items[{i}].qty must be a positive integer")
        elif not isinstance(price, int | float) or isinstance(price, bool) or price < 0:
            problems.append(f"items[{i}].price must be a non-negative number")
        else:
            total += qty * Decimal(str(price))
    stated = order.get("total")
    if not isinstance(stated, int | float) or isinstance(stated, bool):
        problems.append("total must be a number")
    elif not problems and Decimal(str(stated)) != total:
        problems.append(f"total is {stated} but the items add up to {total}")
    return problems


def validate_order(order: Any) -> Order:
    problems = _problems(order)
    if problems:
        raise NonRetryableError(
            "invalid order: " + "; ".join(problems), type="InvalidOrder", details=problems
        )
    return {**order, "status": "VALIDATED"}


def reserve_stock(order: Order) -> Order:
    for item in order["items"]:
        if item["sku"].startswith("OOS-"):  # a transient shortage: worth retrying later
            raise ApplicationError(f"{item['sku']} is out of stock", type="OutOfStock")
    reservation = {"id": _ref("res", order), "skus": [item["sku"] for item in order["items"]]}
    return {**order, "status": "RESERVED", "reservation": reservation}


def charge_card(order: Order) -> Order:
    card = str(order.get("card", ""))
    if card.endswith("0000"):
        raise NonRetryableError(
            "card declined", type="CardDeclined", details={"last4": card[-4:], "code": "51"}
        )
    payment = {"id": _ref("pay", order), "amount": order["total"], "last4": card[-4:]}
    charged = {k: v for k, v in order.items() if k != "card"}  # never carry the card number on
    return {**charged, "status": "PAID", "payment": payment}


def ship_order(order: Order) -> Order:
    shipment = {"carrier": "legato-post", "trackingNumber": _ref("trk", order).upper()}
    return {**order, "status": "SHIPPED", "shipment": shipment}


def build_worker() -> Worker:
    worker = Worker()
    worker.register("validate-order", validate_order)
    worker.register("reserve-stock", reserve_stock)
    worker.register("charge-card", charge_card)
    worker.register("ship-order", ship_order)
    return worker


if __name__ == "__main__":
    build_worker().start()
