r"""Handlers of the `order-fulfilment-dag` workflow (examples/workflows/order-fulfilment-dag.json).

    check-order --> reserve-item (one job per order line, 4 at a time) -----> ship-parcel --> email-customer
                --> take-payment -------------------------\                  /
                --> review-fraud (only if total > 500) ----> settle (2 s) ---/

Each handler gets exactly the fields its step's `input` template picks out of the order and of
earlier steps' outputs, and returns only its own result. Ids are derived from the order id, so a
retried attempt returns the same reservation, payment and tracking number.

Run it with `python examples/python/dag_worker.py` (config from LEGATO_* env vars).
"""

import hashlib
from typing import Any

from order_worker import validate_order

from legato_worker import ApplicationError, NonRetryableError, Worker

Json = dict[str, Any]


def _ref(kind: str, *parts: object) -> str:
    digest = hashlib.sha256(":".join([kind, *map(str, parts)]).encode()).hexdigest()[:10]
    return f"{kind}-{digest}"


def check_order(order: Any) -> Json:
    """The order, validated; only what later steps need (never the card number)."""
    valid = validate_order(order)  # raises a non-retryable InvalidOrder
    return {"orderId": valid["orderId"], "items": valid["items"], "total": valid["total"]}


def reserve_item(line: Json) -> Json:
    if line["sku"].startswith("OOS-"):  # a transient shortage: worth retrying
        raise ApplicationError(f"{line['sku']} is out of stock", type="OutOfStock")
    return {"sku": line["sku"], "qty": line["qty"], "reservation": _ref("res", line["orderId"], line["line"])}


def take_payment(charge: Json) -> Json:
    card = str(charge.get("card", ""))
    if card.endswith("0000"):
        raise NonRetryableError("card declined", type="CardDeclined", details={"last4": card[-4:]})
    return {"id": _ref("pay", charge["orderId"]), "amount": charge["amount"], "last4": card[-4:]}


def review_fraud(review: Json) -> Json:
    return {"approved": review["total"] < 10_000, "reviewer": "rules-v1"}


def ship_parcel(shipment: Json) -> Json:
    return {
        "carrier": "legato-post",
        "service": "express" if shipment["express"] else "standard",
        "trackingNumber": _ref("trk", shipment["orderId"]).upper(),
        "parcels": len(shipment["reservations"]),
        "payment": shipment["payment"],
    }


def email_customer(note: Json) -> Json:
    return {"to": note["to"], "subject": f"{note['customer']}, your order is on its way ({note['tracking']})"}


HANDLERS = {
    "check-order": check_order,
    "reserve-item": reserve_item,
    "take-payment": take_payment,
    "review-fraud": review_fraud,
    "ship-parcel": ship_parcel,
    "email-customer": email_customer,
}


def build_worker() -> Worker:
    worker = Worker()
    for action, handler in HANDLERS.items():
        worker.register(action, handler)
    return worker


if __name__ == "__main__":
    build_worker().start()
