"""Define, list, read and trigger workflows."""

import asyncio
import time
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from legato import metrics, tracing
from legato.api.errors import ApiError
from legato.api.inputs import copied_header, json_body, payload_size
from legato.api.models import Definition, Definitions, DefinitionSchema, RunStarted, problem
from legato.api.services import Services
from legato.api.triggering import (
    BODY_PROPERTIES,
    BUSY,
    BUSY_RETRY_AFTER_S,
    REUSED,
    admit,
    body_fingerprint,
    trigger_body,
)
from legato.definitions import SCHEMA, DefinitionError, parse_definition
from legato.faults import ride_out
from legato.idempotency.keys import Decision, Reservation
from legato.idempotency.record import KeyBusy, KeyReused, Replayed
from legato.kafka.topics import ensure_job_topics
from legato.payloads import InvalidValue, PayloadTooLarge
from legato.runs.trigger import RunAlreadyExists, TriggerRequest

router = APIRouter(prefix="/workflow", tags=["workflows"])

DEFINE_EXAMPLE = {
    "id": "my-first-workflow",
    "steps": [{"action": "step1", "stepIndex": 0}, {"action": "step2", "stepIndex": 1}],
}


def services(request: Request) -> Services:
    s: Services = request.app.state.services
    return s


DEFINE_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}, "example": DEFINE_EXAMPLE}},
    },
}


@router.post(
    "/",
    status_code=201,
    summary="Define a workflow (a changed body makes a new version)",
    responses={200: {"model": Definition, "description": "the body is the latest version's: nothing stored"}},
    openapi_extra=DEFINE_DOC,
)
async def define(request: Request, response: Response) -> Definition:
    s = services(request)
    try:
        body = await json_body(request, s.settings.api.max_body_bytes)
    except PayloadTooLarge:
        raise
    except InvalidValue as exc:
        raise DefinitionError((), str(exc)) from None
    if not isinstance(body, dict):
        raise DefinitionError((), "must be a JSON object: a workflow definition")
    return await run_in_threadpool(_define, s, response, body)


def _define(s: Services, response: Response, body: dict[str, Any]) -> Definition:
    # The action topics first, then the version: a stored version's topics always exist (a define
    # that failed on Kafka stored nothing, and the same call repeated later makes both).
    actions = {st.action for st in parse_definition(body).steps if st.action}
    ensure_job_topics(s.admin, s.settings, actions)
    stored, _ = s.registry.define(body)
    if not stored.created:
        response.status_code = 200
    return Definition.model_validate(stored.to_json())


@router.get("/", summary="List workflow definitions (latest version of each)")
def list_definitions(request: Request) -> Definitions:
    latest = services(request).registry.list_latest()
    return Definitions.model_validate({"workflows": [d.to_json() for d in latest]})


@router.get("/schema", summary="The JSON Schema of a workflow definition (the body of POST /workflow/)")
def definition_schema() -> DefinitionSchema:
    return DefinitionSchema(SCHEMA)


@router.get(
    "/{workflow_id}",
    summary="Read a definition (latest, or ?version=N)",
    responses={404: problem("workflow (or version) not defined")},
)
def get_definition(request: Request, workflow_id: str, version: int | None = None) -> Definition:
    registry = services(request).registry
    stored = registry.version(workflow_id, version) if version else registry.latest(workflow_id)
    return Definition.model_validate(stored.to_json())


TRIGGER_DOC: dict[str, Any] = {
    "parameters": [
        {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}},
        {"name": "X-Correlation-Id", "in": "header", "required": False, "schema": {"type": "string"}},
    ],
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": BODY_PROPERTIES,
                    "additionalProperties": False,
                },
                "example": {"input": "Hello World"},
            }
        },
    },
}
TRIGGER_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the run id (Idempotent-Replayed: true when an earlier request made it)",
        "content": {"application/json": {"example": {"runId": "5f0c6f0e-8e0a-4a4b-9a55-0c1f1e0f6a01"}}},
    },
    404: problem("workflow not defined"),
    409: problem("a request with this Idempotency-Key is still being processed (Retry-After)"),
    429: problem("too much work has not started yet (Retry-After); nothing was stored"),
}


def _run_response(run_id: UUID, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(b'{"runId":"%s"}' % str(run_id).encode(), media_type="application/json", headers=headers)


# The hot path of the API: the body is read and checked here (orjson), not by FastAPI's parameter
# machinery, and the answer is a prebuilt response. The OpenAPI document still describes it.
@router.post(
    "/{workflow_id}/trigger",
    summary="Start a run",
    response_model=RunStarted,
    responses=TRIGGER_ANSWERS,
    openapi_extra=TRIGGER_DOC,
)
async def trigger_run(request: Request, workflow_id: str) -> Response:
    if tracing.ENABLED:  # a SERVER span; its context is stored with the run
        from legato.tracing import spans

        return await spans.trigger(request, workflow_id, _trigger)
    return await _trigger(request, workflow_id, None)


async def _trigger(request: Request, workflow_id: str, trace_context: str | None) -> Response:
    started = time.perf_counter()
    s = services(request)
    body = await json_body(request, s.settings.api.max_body_bytes)
    value, priority = trigger_body(body)
    payload_size(value, "body.input")
    idempotency_key = copied_header(request, "Idempotency-Key")
    correlation_id = copied_header(request, "X-Correlation-Id")
    if idempotency_key is None:
        admit(s, workflow_id)
        req = TriggerRequest(
            workflow_id, value, correlation_id=correlation_id, trace_context=trace_context, priority=priority
        )
        run_id = await _start(s, req)
        s.backlog.accepted(workflow_id)
        metrics.child(metrics.TRIGGER_SECONDS, workflow_id).observe(time.perf_counter() - started)
        return _run_response(run_id)
    fingerprint = body_fingerprint(body)
    reservation = await run_in_threadpool(_reserve, s, workflow_id, idempotency_key, fingerprint)
    if reservation.decision is not Decision.NEW:
        return _answer_from_redis(reservation, workflow_id)
    try:
        admit(s, workflow_id)  # after the key's answer: a retry of a request that made its run gets it
    except ApiError:
        await run_in_threadpool(s.keys.release, reservation)
        raise
    assert reservation.run_id is not None
    req = TriggerRequest(
        workflow_id,
        value,
        reservation.run_id,
        idempotency_key,
        correlation_id or idempotency_key,
        fingerprint,
        trace_context,
        priority=priority,
    )
    try:
        outcome = await asyncio.wrap_future(s.triggers.submit(req))
    except RunAlreadyExists:
        metrics.child(metrics.IDEMPOTENT_REPLAYS, workflow_id).inc()
        return _run_response(reservation.run_id, replayed=True)
    except KeyReused as exc:  # PostgreSQL holds the key for another body
        metrics.IDEMPOTENCY_DECISIONS.labels("conflict", "postgres").inc()
        await run_in_threadpool(s.keys.remember, reservation, exc.fingerprint, exc.run_id, exc.ttl_seconds)
        raise ApiError(422, REUSED) from None
    except KeyBusy:
        await run_in_threadpool(s.keys.release, reservation)
        raise ApiError(409, BUSY, {"Retry-After": str(BUSY_RETRY_AFTER_S)}) from None
    except BaseException:
        await run_in_threadpool(s.keys.release, reservation)
        raise
    if isinstance(outcome, Replayed):  # PostgreSQL had the run (Redis lost or never got it)
        metrics.IDEMPOTENCY_DECISIONS.labels("replay", "postgres").inc()
        metrics.child(metrics.IDEMPOTENT_REPLAYS, workflow_id).inc()
        await run_in_threadpool(
            s.keys.remember, reservation, fingerprint, outcome.run_id, outcome.ttl_seconds
        )
        return _run_response(outcome.run_id, replayed=True)
    assert isinstance(outcome, UUID)
    s.backlog.accepted(workflow_id)
    metrics.IDEMPOTENCY_DECISIONS.labels("new", "postgres").inc()
    await run_in_threadpool(s.keys.complete, reservation, fingerprint, outcome)
    metrics.child(metrics.TRIGGER_SECONDS, workflow_id).observe(time.perf_counter() - started)
    return _run_response(outcome)


def _answer_from_redis(reservation: Reservation, workflow_id: str) -> Response:
    metrics.IDEMPOTENCY_DECISIONS.labels(reservation.decision.value.replace("-", "_"), "redis").inc()
    if reservation.decision is Decision.CONFLICT:
        raise ApiError(422, REUSED)
    if reservation.decision is Decision.IN_FLIGHT:
        raise ApiError(409, BUSY, {"Retry-After": str(BUSY_RETRY_AFTER_S)})
    assert reservation.run_id is not None
    metrics.child(metrics.IDEMPOTENT_REPLAYS, workflow_id).inc()
    return _run_response(reservation.run_id, replayed=True)


async def _start(s: Services, request: TriggerRequest) -> UUID:
    try:
        run_id = await asyncio.wrap_future(s.triggers.submit(request))
    except RunAlreadyExists:  # written again after an outage hid its commit (runs.batcher): it is made
        return request.run_id
    assert isinstance(run_id, UUID)
    return run_id


def _reserve(s: Services, workflow_id: str, key: str, fingerprint: str) -> Reservation:
    # 404 before a key is reserved for an unknown workflow; a trigger waits out a short database
    # outage here as its write does (runs.batcher)
    ride_out(lambda _: s.registry.latest(workflow_id), "trigger reads")
    return s.keys.reserve(workflow_id, key, fingerprint)
