"""A typed handler over real Kafka: its input converted, its output dumped, a bad payload refused."""

import json
from typing import Any

import pytest
from pydantic import BaseModel

from legato_worker import Worker, WorkerSettings

pytestmark = pytest.mark.integration


class Charge(BaseModel):
    orderId: str  # noqa: N815 - the payload's field name
    total: float


class Receipt(BaseModel):
    orderId: str  # noqa: N815
    charged: float


def test_typed_handler_converts_and_refuses(kafka: Any, settings: WorkerSettings, run_worker: Any) -> None:
    kafka.create_topics(["charge"])
    ran: list[Charge] = []

    def charge(order: Charge) -> Receipt:
        ran.append(order)
        return Receipt(orderId=order.orderId, charged=order.total)

    worker = Worker(settings=settings)
    worker.register("charge", charge)
    good = kafka.job("charge", {"orderId": "o-1", "total": "9.5"})
    bad = kafka.job("charge", {"orderId": "o-2", "total": "lots"})
    run_worker(worker)

    done = kafka.result(good)
    assert done["status"] == "COMPLETED"
    assert json.loads(done["output"]) == {"orderId": "o-1", "charged": 9.5}
    refused = kafka.result(bad)
    assert refused["status"] == "FAILED" and refused["output"] is None
    assert refused["failure"]["type"] == "InvalidPayload"
    assert refused["failure"]["nonRetryable"] is True
    assert refused["failure"]["message"].startswith("input: total: Input should be a valid number")
    assert [o.orderId for o in ran] == ["o-1"]
