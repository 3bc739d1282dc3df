"""The items of a batch trigger: read and checked as single triggers' bodies and headers would be,
and each one's answer (api.trigger_batch)."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import Request

from legato.api.errors import ApiError, client_error
from legato.api.inputs import copied_text, payload_size
from legato.api.triggering import BODY_FIELDS, body_fingerprint, trigger_body
from legato.idempotency.record import KeyBusy, KeyReused
from legato.payloads import InvalidValue, JsonLimits, configured, parse_items_checked
from legato.runs.trigger import RunAlreadyExists

MAX_ITEMS = 1000
KEY_FIELDS = ("idempotencyKey", "correlationId")  # a single trigger's headers, an item's fields
ITEM_FIELDS = (*BODY_FIELDS, *KEY_FIELDS)

Answer = dict[str, Any]  # one item's answer (api.models.ItemStarted), written by orjson


@dataclass(frozen=True, slots=True)
class Item:
    """A valid item: what its single trigger would have read from its body and headers."""

    index: int
    value: Any
    priority: int | None
    key: str | None
    correlation_id: str | None
    fingerprint: str  # of the item without its key and correlation id ("" without a key)


async def read_bodies(request: Request, max_bytes: int) -> list[Any]:
    """The items of the request's body, in order; an item that is not storable JSON (a NUL
    character, a number that does not survive, too deep) is its InvalidValue."""
    raw = await request.body()
    if not raw.strip():
        raise ApiError(422, 'body must be a JSON array of items like [{"input": ...}]')
    limits = configured()  # an item's depth counts from the item, as a single trigger's from its body
    bodies = parse_items_checked(raw, JsonLimits(max_bytes, limits.max_depth + 1), "body")
    if not bodies:
        raise ApiError(422, f'body: no items; a batch takes 1 to {MAX_ITEMS} items like {{"input": ...}}')
    if len(bodies) > MAX_ITEMS:
        raise ApiError(422, f"body: {len(bodies)} items; a batch takes at most {MAX_ITEMS}")
    return bodies


def read_item(n: int, body: Any, correlation_id: str | None) -> Item:
    """Item `n` as its single trigger would have read it; raises that trigger's ApiError or
    InvalidValue. `correlation_id`: the request's X-Correlation-Id, for an item without its own."""
    if isinstance(body, InvalidValue):
        raise body
    where = f"body[{n}]"
    value, priority = trigger_body(body, where, ITEM_FIELDS)
    payload_size(value, f"{where}.input")
    fields: dict[str, Any] = body if isinstance(body, dict) else {}
    key, correlation = (fields.get(name) for name in KEY_FIELDS)
    if key is not None:
        key = copied_text(key, f"{where}.idempotencyKey")
    if correlation is not None:
        correlation = copied_text(correlation, f"{where}.correlationId")
    if key is None:
        return Item(n, value, priority, None, correlation or correlation_id, "")
    # the body its single trigger would have sent: without the fields that were its headers
    single = {k: v for k, v in fields.items() if k in BODY_FIELDS} if isinstance(body, dict) else body
    return Item(n, value, priority, key, correlation or correlation_id or key, body_fingerprint(single))


def made(run_id: UUID, replayed: bool = False) -> Answer:
    return {"status": 200, "runId": str(run_id), "replayed": replayed}


def failed(exc: BaseException) -> Answer:
    """The answer of an item whose single trigger would have got `exc` (a 4xx)."""
    error = client_error(exc) if isinstance(exc, Exception) else None
    assert error is not None, f"not an item's error: {exc!r}"
    answer: Answer = {"status": error.status, "error": {"detail": error.detail}}
    if error.headers and "Retry-After" in error.headers:
        answer["retryAfter"] = int(error.headers["Retry-After"])
    return answer


def fatal(outcomes: list[object]) -> BaseException | None:
    """The first outcome that is no item's answer (the database stayed down): the request's."""
    for outcome in outcomes:
        if isinstance(outcome, RunAlreadyExists | KeyReused | KeyBusy):
            continue
        if isinstance(outcome, BaseException) and (
            not isinstance(outcome, Exception) or client_error(outcome) is None
        ):
            return outcome
    return None
