"""Read a run and its event history; cancel a run; retry a failed run; pause and resume a run;
send a run a signal and list the signals it received. An unknown run answers 404 and a run in the
wrong state for an operation 409 (api.errors)."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from legato.api.errors import ApiError
from legato.api.inputs import json_body, payload_size
from legato.api.models import Run, RunChange, RunEvents, RunSignals, SignalSent, problem
from legato.api.workflows import services
from legato.definitions.limits import SIGNAL_NAME
from legato.payloads import configured, dumps_checked
from legato.runs import operations, queries, signals

MAX_SIGNAL_ID = 200

router = APIRouter(prefix="/workflow/run", tags=["runs"])


def _run_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError as exc:
        raise ApiError(422, f"runId {raw!r} is not a UUID") from exc


@router.get("/{run_id}", summary="A run with its steps", responses={404: problem("unknown run")})
def get_run(request: Request, run_id: str) -> Run:
    s = services(request)
    run = queries.get_run(s.pool, _run_id(run_id), s.registry.get)
    if run is None:
        raise ApiError(404, f"run {run_id} not found")
    return Run.model_validate(run)


@router.get(
    "/{run_id}/events",
    summary="The run's append-only history, oldest first",
    responses={404: problem("unknown run")},
)
def get_events(request: Request, run_id: str, after: int = 0, limit: int = 1000) -> RunEvents:
    if not 1 <= limit <= 1000:
        raise ApiError(422, "limit must be between 1 and 1000")
    events = queries.get_events(services(request).pool, _run_id(run_id), after, limit)
    if events is None:
        raise ApiError(404, f"run {run_id} not found")
    return RunEvents.model_validate({"runId": run_id, "events": events})


@router.post(
    "/{run_id}/cancel",
    summary="Cancel a run: pending jobs never dispatched, waits dropped, late results ignored",
    responses={404: problem("unknown run"), 409: problem("the run already ended")},
)
def cancel_run(request: Request, run_id: str) -> RunChange:
    return RunChange.model_validate(operations.cancel(services(request).pool, _run_id(run_id)).to_json())


@router.post(
    "/{run_id}/retry",
    summary="Retry a FAILED run: its failed, dead-lettered and unfinished steps run again",
    responses={404: problem("unknown run"), 409: problem("the run is not FAILED")},
)
def retry_run(request: Request, run_id: str) -> RunChange:
    s = services(request)
    outcome = operations.retry(s.pool, s.registry, s.settings.kafka.jobs_topic, _run_id(run_id))
    return RunChange.model_validate(outcome.to_json())


@router.post(
    "/{run_id}/pause",
    summary="Pause a RUNNING run: no new job is dispatched, no timer fires, no signal or child starts",
    description="Jobs already running finish and their results are applied. `changed` is false for a "
    "run that is paused already.",
    responses={404: problem("unknown run"), 409: problem("the run is not RUNNING")},
)
def pause_run(request: Request, run_id: str) -> RunChange:
    outcome = operations.pause(services(request).pool, _run_id(run_id))
    return RunChange.model_validate(outcome.to_json())


@router.post(
    "/{run_id}/resume",
    summary="Resume a PAUSED run where it stopped; timers that came due meanwhile fire at once",
    description="`changed` is false for a run that is running already.",
    responses={404: problem("unknown run"), 409: problem("the run is not PAUSED")},
)
def resume_run(request: Request, run_id: str) -> RunChange:
    s = services(request)
    outcome = operations.resume(s.pool, s.registry, s.settings.kafka.jobs_topic, _run_id(run_id))
    return RunChange.model_validate(outcome.to_json())


@router.post(
    "/{run_id}/signal/{name}",
    summary="Send a run a signal: the step waiting for it (or the next to wait) takes its payload",
    description='Body: `{"payload": <JSON>, "signalId": "<optional>"}`. A signal sent before its '
    "step waits is kept; signals of one name are taken in arrival order, one per waiting step. The "
    "same `signalId` twice is delivered once: both calls answer 200, the second with "
    "`duplicate: true`. The payload has the limits of a trigger input.",
    responses={
        404: problem("unknown run"),
        409: problem("the run has ended"),
        413: problem("the payload is over the payload limit"),
        422: problem("a bad name, signalId or body, or a signal no step of the run's workflow waits for"),
    },
)
async def send_signal(request: Request, run_id: str, name: str) -> SignalSent:
    s = services(request)
    rid = _run_id(run_id)
    if not SIGNAL_NAME.match(name):
        raise ApiError(422, f"signal name {name!r} must be 1-100 letters, digits, '.', '_' or '-'")
    body = await json_body(request, s.settings.api.max_body_bytes)
    payload, signal_id = _signal_body(body)
    payload_size(payload, "body.payload")
    text = dumps_checked(payload, configured(), "body.payload")
    try:
        sent = await run_in_threadpool(
            signals.send, s.pool, s.registry, s.settings.kafka.jobs_topic, rid, name, text, signal_id
        )
    except signals.UnknownSignal as exc:
        raise ApiError(422, str(exc)) from exc
    return SignalSent.model_validate(sent.to_json())


def _signal_body(body: Any) -> tuple[Any, str | None]:
    if body is None:
        return None, None
    if not isinstance(body, dict):
        raise ApiError(422, 'body must be a JSON object: {"payload": <JSON>, "signalId": "<optional>"}')
    unknown = sorted(set(body) - {"payload", "signalId"})
    if unknown:
        raise ApiError(422, f"body.{unknown[0]}: unknown field; allowed: payload, signalId")
    signal_id = body.get("signalId")
    if signal_id is not None and (
        not isinstance(signal_id, str)
        or not 0 < len(signal_id) <= MAX_SIGNAL_ID
        or not signal_id.isprintable()
    ):
        raise ApiError(422, f"body.signalId must be 1-{MAX_SIGNAL_ID} printable characters")
    return body.get("payload"), signal_id


@router.get(
    "/{run_id}/signals",
    summary="The signals a run received, oldest first, and the steps that took them",
    description="The first `limit` (at most 1000), and no more once 8 MiB of payloads (as stored) "
    "were read; `more` says the run has received more.",
    responses={404: problem("unknown run")},
)
def list_signals(request: Request, run_id: str, limit: int = signals.MAX_LISTED) -> RunSignals:
    if not 1 <= limit <= signals.MAX_LISTED:
        raise ApiError(422, f"limit must be between 1 and {signals.MAX_LISTED}")
    found = signals.received(services(request).pool, _run_id(run_id), limit)
    if found is None:
        raise ApiError(404, f"run {run_id} not found")
    return RunSignals.model_validate(found)
