"""Typed handlers: input and output converted at the SDK boundary, failures as InvalidPayload.

(No `from __future__ import annotations` here on purpose: the string form is tested in
test_typed_string_hints.py, whose hints name module-level types as such modules do.)"""

import asyncio
import dataclasses
import json
from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from legato_protocol import Job, Result
from legato_worker import JobContext, Worker, WorkerSettings
from legato_worker._executor import _await_here
from legato_worker._handlers import registered, run_async, run_sync
from legato_worker._typed import is_plain

pytestmark = pytest.mark.unit


class Line(BaseModel):
    sku: str
    qty: int


class Order(BaseModel):
    orderId: str  # noqa: N815 - the payload's field name
    total: float
    lines: list[Line] = []


class Receipt(BaseModel):
    orderId: str  # noqa: N815
    charged: float


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Label(TypedDict):
    carrier: str
    parcels: int


def job(payload: Any) -> Job:
    return {
        "jobId": "j-1",
        "runId": "r-1",
        "stepId": "s",
        "attempt": 1,
        "action": "a",
        "payload": json.dumps(payload),
        "workflowId": "wf",
        "workflowVersion": 1,
        "queue": "workflow-jobs.a",
        "createdAt": 1,
    }


def run(handler: Any, payload: Any) -> Result:
    entry = registered(handler)
    if entry.is_async:
        return asyncio.run(run_async(entry.handler, job(payload), "w", with_context=entry.with_context))
    return run_sync(entry.handler, job(payload), "w", _await_here, with_context=entry.with_context)


def output(result: Result) -> Any:
    assert result["status"] == "COMPLETED", result["failure"]
    assert result["output"] is not None
    return json.loads(result["output"])


def failure(result: Result) -> dict[str, Any]:
    assert result["status"] == "FAILED"
    assert result["failure"] is not None
    return dict(result["failure"])


def charge(order: Order) -> Receipt:
    assert isinstance(order, Order)
    return Receipt(orderId=order.orderId, charged=order.total)


def test_a_model_in_and_out() -> None:
    assert output(run(charge, {"orderId": "o-1", "total": "12.5"})) == {"orderId": "o-1", "charged": 12.5}


def test_an_invalid_input_names_the_side_and_the_field_and_is_not_retried() -> None:
    f = failure(run(charge, {"orderId": "o-1", "total": "lots"}))
    assert f["type"] == "InvalidPayload"
    assert f["nonRetryable"] is True
    assert f["message"] == "input: total: Input should be a valid number, unable to parse string as a number"
    assert json.loads(f["details"])[0]["loc"] == ["total"]


def test_nested_fields_are_named_by_their_path() -> None:
    f = failure(run(charge, {"orderId": "o-1", "total": 1, "lines": [{"sku": "a", "qty": "x"}]}))
    assert f["message"].startswith("input: lines.0.qty: Input should be a valid integer")


def test_the_handler_does_not_run_on_an_invalid_input() -> None:
    ran: list[Any] = []

    def handler(order: Order) -> None:
        ran.append(order)

    assert failure(run(handler, ["not", "an", "order"]))["type"] == "InvalidPayload"
    assert ran == []


def test_an_output_that_does_not_fit_its_hint_fails_as_invalid_output() -> None:
    def handler(order: Order) -> Receipt:
        return {"orderId": order.orderId}  # type: ignore[return-value]

    f = failure(run(handler, {"orderId": "o-1", "total": 1}))
    assert (f["type"], f["nonRetryable"]) == ("InvalidPayload", True)
    assert f["message"] == "output: charged: Field required"


def test_a_dict_returned_for_a_model_is_validated_and_dumped() -> None:
    def handler(payload: Any) -> Receipt:
        return {"orderId": "o", "charged": "3"}  # type: ignore[return-value]

    assert output(run(handler, None)) == {"orderId": "o", "charged": 3.0}


def test_dataclasses_and_typeddicts() -> None:
    def move(p: Point) -> Point:
        return Point(p.x + 1, p.y)

    def label(p: Point) -> Label:
        return {"carrier": "post", "parcels": p.x}

    assert output(run(move, {"x": 1, "y": 2})) == {"x": 2, "y": 2}
    assert output(run(label, {"x": 3, "y": 0})) == {"carrier": "post", "parcels": 3}
    assert failure(run(move, {"x": 1}))["message"] == "input: y: Field required"


def test_any_type_adapter_takes_and_json_mode_output() -> None:
    import datetime

    def later(stamps: list[datetime.date]) -> tuple[datetime.date, int]:
        return max(stamps), len(stamps)

    assert output(run(later, ["2030-01-02", "2030-01-05"])) == ["2030-01-05", 2]


def test_context_and_async_handlers_keep_working() -> None:
    def with_ctx(order: Order, ctx: JobContext) -> Receipt:
        return Receipt(orderId=f"{order.orderId}/{ctx.attempt}", charged=0)

    async def in_async(order: Order) -> Receipt:
        await asyncio.sleep(0)
        return Receipt(orderId=order.orderId, charged=1)

    async def async_ctx(order: Order, ctx: JobContext) -> Receipt:
        return Receipt(orderId=ctx.step_id, charged=order.total)

    payload = {"orderId": "o", "total": 2}
    assert output(run(with_ctx, payload))["orderId"] == "o/1"
    assert output(run(in_async, payload)) == {"orderId": "o", "charged": 1.0}
    assert output(run(async_ctx, payload)) == {"orderId": "s", "charged": 2.0}
    assert failure(run(in_async, {"total": 2}))["message"] == "input: orderId: Field required"


def test_only_the_return_hint_or_only_the_input_hint() -> None:
    def out_only(payload):
        return Receipt(orderId=payload["id"], charged=0)

    out_only.__annotations__ = {"return": Receipt}

    def in_only(order: Order):
        return order.model_dump()

    assert output(run(out_only, {"id": "x"})) == {"orderId": "x", "charged": 0.0}
    assert output(run(in_only, {"orderId": "o", "total": 1})) == {"orderId": "o", "total": 1.0, "lines": []}


@pytest.mark.parametrize(
    "hint",
    [Any, object, dict, list, str, int, float, bool, None, dict[str, Any], list[Any], int | None, "Any"],
)
def test_plain_hints_are_registered_unchanged(hint: Any) -> None:
    def handler(payload: Any) -> Any:
        return payload

    handler.__annotations__ = {"payload": hint, "return": hint}
    assert registered(handler).handler is handler


def test_unannotated_handlers_are_registered_unchanged() -> None:
    def handler(payload, ctx):
        return payload

    entry = registered(handler)
    assert entry.handler is handler and entry.with_context


def test_plain_types_pass_anything_through_as_before() -> None:
    def handler(payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    assert output(run(handler, [1, "two"])) == [1, "two"]  # not a dict: as before, no check


@pytest.mark.parametrize("hint", [Order, list[Order], Order | None, Point, Label])
def test_model_hints_are_not_plain(hint: Any) -> None:
    assert not is_plain(hint)


class Opaque:
    pass


def test_a_hint_pydantic_cannot_take_fails_at_register_time() -> None:
    def handler(payload: Opaque) -> None:
        pass

    worker = Worker(settings=WorkerSettings(worker_id="w"))
    with pytest.raises(TypeError, match="cannot validate its type hints"):
        worker.register("a", handler)


def test_an_unresolvable_string_hint_converts_nothing(caplog: pytest.LogCaptureFixture) -> None:
    def handler(payload: Any) -> Any:
        return payload

    handler.__annotations__ = {"payload": "NotImportedHere"}
    assert registered(handler).handler is handler
    assert "NotImportedHere" in caplog.text
