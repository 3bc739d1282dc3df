"""POST /workflow/{workflow_id}/trigger/batch: many runs of one workflow in one request.

Each item is answered as a single trigger (api.workflows) with its body would have been: the same
rules and payload limit, the same Idempotency-Key semantics with the item's `idempotencyKey` as the
key and the same fingerprint (of the item without its key and correlation id), so an item and a
single trigger with the same key and body are one request sent twice. Items that repeat a key are
answered as if sent one after another: the first decides, a later one with the same body replays
its answer, a later one with another body gets the 422 of a reused key (or, when the first made no
run, is decided after it). One bad item never fails another.

What concerns the whole request is answered for it: a malformed body, no items or too many (422),
an unknown workflow (404), and admission control (429 with Retry-After): a batch is admitted or
refused whole, once its keys are answered, so a refused batch stores nothing, and a batch whose
items all made their runs before gets them whatever the backlog.

The batch's new runs go to the trigger Batcher together (`submit_all`): one group commit for all of
them (runs.trigger); its keys go to Redis in pipelines (idempotency.keys, `*_many`).
"""

import asyncio
import time
from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from legato import metrics, tracing
from legato.api.batch_items import MAX_ITEMS, Answer, Item, failed, fatal, made, read_bodies, read_item
from legato.api.batch_keys import KeyedRound
from legato.api.errors import ApiError
from legato.api.inputs import copied_header
from legato.api.models import BatchStarted, problem
from legato.api.services import Services
from legato.api.triggering import BODY_PROPERTIES, admit
from legato.api.workflows import services
from legato.faults import ride_out
from legato.payloads import InvalidValue
from legato.runs.trigger import RunAlreadyExists, TriggerRequest

router = APIRouter(prefix="/workflow", tags=["workflows"])

_TEXT = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}

BATCH_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": "X-Correlation-Id",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "the correlation id of the items that have none of their own",
        },
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_ITEMS,
                    "items": {
                        "type": "object",
                        "properties": {
                            **BODY_PROPERTIES,
                            "idempotencyKey": {**_TEXT, "description": "the item's Idempotency-Key"},
                            "correlationId": {**_TEXT, "description": "the item's X-Correlation-Id"},
                        },
                        "additionalProperties": False,
                    },
                },
                "example": [
                    {"input": {"orderId": 41}, "idempotencyKey": "order-41"},
                    {"input": {"orderId": 42}, "idempotencyKey": "order-42", "priority": 1},
                ],
            }
        },
    },
}
BATCH_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "one answer per item, in order (an item's error is in its answer)"},
    404: problem("workflow not defined"),
    413: problem("the body is over LEGATO_MAX_BODY_BYTES"),
    422: problem(
        f"the body is not a JSON array of 1 to {MAX_ITEMS} items, or the request has an "
        "Idempotency-Key header (an item has its own idempotencyKey)"
    ),
    429: problem("too much work has not started yet (Retry-After); nothing of the batch was stored"),
}


# The hot path of many runs: the body is read and checked here (orjson), and the answer is written
# with orjson; the OpenAPI document still describes both.
@router.post(
    "/{workflow_id}/trigger/batch",
    summary=f"Start up to {MAX_ITEMS} runs: one answer per item",
    response_model=BatchStarted,
    responses=BATCH_ANSWERS,
    openapi_extra=BATCH_DOC,
)
async def trigger_batch(request: Request, workflow_id: str) -> Response:
    if tracing.ENABLED:  # one SERVER span; its context is stored with every run of the batch
        from legato.tracing import spans

        return await spans.trigger(request, workflow_id, _batch, spans.TRIGGER_BATCH)
    return await _batch(request, workflow_id, None)


async def _batch(request: Request, workflow_id: str, trace_context: str | None) -> Response:
    began = time.perf_counter()
    s = services(request)
    if "Idempotency-Key" in request.headers:
        raise ApiError(422, "a batch takes each item's idempotencyKey, not an Idempotency-Key header")
    correlation_id = copied_header(request, "X-Correlation-Id")
    bodies = await read_bodies(request, s.settings.api.max_body_bytes)
    # 404 before anything is reserved; a short database outage is waited out (as a trigger's write)
    await run_in_threadpool(ride_out, lambda _: s.registry.latest(workflow_id), "trigger reads")
    results: list[Answer] = [{}] * len(bodies)
    items: list[Item] = []
    for n, body in enumerate(bodies):
        try:
            items.append(read_item(n, body, correlation_id))
        except (ApiError, InvalidValue) as exc:
            results[n] = failed(exc)
    batch = Batch(s, workflow_id, trace_context, results)
    await batch.start(items)
    assert all(results), "every item is answered"
    if batch.started:
        s.backlog.accepted(workflow_id, batch.started)
        took = metrics.child(metrics.TRIGGER_SECONDS, workflow_id)
        for _ in range(batch.started):  # per run, as its single trigger would have been
            took.observe(time.perf_counter() - began)
    return _answer(results)


class Batch:
    """Starts a batch's valid items; each one's answer lands in `results` at its index."""

    def __init__(
        self, s: Services, workflow_id: str, trace_context: str | None, results: list[Answer]
    ) -> None:
        self.s = s
        self.workflow_id = workflow_id
        self.trace_context = trace_context
        self.results = results
        self.admitted = False
        self.started = 0  # new runs

    async def start(self, items: list[Item]) -> None:
        unkeyed = [i for i in items if i.key is None]
        keyed = [i for i in items if i.key is not None]
        while unkeyed or keyed:  # a second round only for a key that items of other bodies share
            keys = KeyedRound(self.s, self.workflow_id, keyed, self.results)
            await keys.reserve()
            requests = [self._request(i, None) for i in unkeyed]
            requests += [self._request(i, r.run_id) for i, r in keys.fresh]
            if requests and not self.admitted:
                try:  # after the keys' answers: a batch whose runs were all made before gets them
                    admit(self.s, self.workflow_id, len(requests))
                except ApiError:
                    await keys.release()
                    raise
                self.admitted = True
            outcomes = await _write(self.s, requests)
            if (error := fatal(outcomes)) is not None:
                await keys.release()
                raise error
            for item, request, outcome in zip(unkeyed, requests, outcomes, strict=False):
                self.results[item.index] = self._unkeyed(request, outcome)
            await keys.settle(outcomes[len(unkeyed) :])
            self.started += keys.started
            unkeyed, keyed = [], keys.later()

    def _request(self, item: Item, run_id: UUID | None) -> TriggerRequest:
        if run_id is None:
            return TriggerRequest(
                self.workflow_id,
                item.value,
                correlation_id=item.correlation_id,
                trace_context=self.trace_context,
                priority=item.priority,
            )
        return TriggerRequest(
            self.workflow_id,
            item.value,
            run_id,
            item.key,
            item.correlation_id,
            item.fingerprint,
            self.trace_context,
            priority=item.priority,
        )

    def _unkeyed(self, request: TriggerRequest, outcome: object) -> Answer:
        if isinstance(outcome, RunAlreadyExists):  # written again after an outage hid its commit: made
            outcome = request.run_id
        if isinstance(outcome, UUID):
            self.started += 1
            return made(outcome)
        assert isinstance(outcome, BaseException)
        return failed(outcome)


async def _write(s: Services, requests: list[TriggerRequest]) -> list[object]:
    """Each request's outcome (a run id, record.Replayed, or the exception its trigger would get),
    all written in one group commit."""
    if not requests:
        return []
    futures = [asyncio.wrap_future(f) for f in s.triggers.submit_all(requests)]
    return list(await asyncio.gather(*futures, return_exceptions=True))


def _answer(results: list[Answer]) -> Response:
    replayed = sum(1 for r in results if r.get("replayed") is True)
    started = sum(1 for r in results if r.get("replayed") is False)
    counts = {"started": started, "replayed": replayed, "failed": len(results) - started - replayed}
    return Response(orjson.dumps({**counts, "results": results}), media_type="application/json")
