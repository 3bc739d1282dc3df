"""Define the order-fulfilment DAG with the builder, trigger it and print its result.

The same workflow as examples/workflows/order-fulfilment-dag.json (handled by dag_worker.py, which
must run somewhere: `make python`). Run: `python examples/python/order_client.py` (LEGATO_API_URL,
LEGATO_API_KEY).
"""

import json
from pathlib import Path

from legato_worker import Client, Retry, Workflow, ref

CHECKED = "steps.check.output"


def order_fulfilment() -> Workflow:
    return (
        Workflow("order-fulfilment-dag")
        .step("check", action="check-order")
        .step(
            "reserve",
            action="reserve-item",
            depends_on=["check"],
            for_each=f"{CHECKED}.items",
            max_parallel=4,
            input={
                "orderId": ref(f"{CHECKED}.orderId"),
                "line": ref("index"),
                "sku": ref("item.sku"),
                "qty": ref("item.qty"),
            },
            retry=Retry(max_attempts=3, initial_delay_ms=200),
        )
        .step(
            "payment",
            action="take-payment",
            depends_on=["check"],
            input={
                "orderId": ref(f"{CHECKED}.orderId"),
                "amount": ref(f"{CHECKED}.total"),
                "card": ref("input.card"),
            },
            retry=Retry(max_attempts=3, initial_delay_ms=200, non_retryable_errors=["CardDeclined"]),
        )
        .step(
            "fraud-review",
            action="review-fraud",
            depends_on=["check"],
            when=f"{CHECKED}.total > `500`",
            input={"orderId": ref("input.orderId"), "total": ref(f"{CHECKED}.total")},
        )
        .wait("settle", seconds=2, depends_on=["payment", "fraud-review"])
        .step(
            "ship",
            action="ship-parcel",
            depends_on=["reserve", "settle"],
            input={
                "orderId": ref("input.orderId"),
                "reservations": ref("steps.reserve.output"),
                "payment": ref("steps.payment.output.id"),
                "express": ref("input.express || `false`"),
            },
        )
        .step(
            "notify",
            action="email-customer",
            depends_on=["ship"],
            input={
                "to": ref("input.email"),
                "customer": ref("input.customer"),
                "tracking": ref("steps.ship.output.trackingNumber"),
            },
        )
    )


def main() -> None:
    order = json.loads(
        (Path(__file__).parent.parent / "workflows" / "order-fulfilment-dag.trigger.json").read_text()
    )
    with Client() as client:
        client.define(order_fulfilment())
        run = client.trigger(
            "order-fulfilment-dag", order["input"], idempotency_key=order["input"]["orderId"]
        )
        print(f"run {run.run_id}:", json.dumps(run.result(timeout=60), indent=2))


if __name__ == "__main__":
    main()
