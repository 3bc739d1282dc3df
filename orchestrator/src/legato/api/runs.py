"""Read a run and its event history; cancel a run; retry a failed run."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from legato.api.errors import ApiError
from legato.api.workflows import services
from legato.runs import operations, queries

router = APIRouter(prefix="/workflow/run", tags=["runs"])


def _run_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError as exc:
        raise ApiError(422, f"runId {raw!r} is not a UUID") from exc


@router.get("/{run_id}", summary="A run with its steps")
def get_run(request: Request, run_id: str) -> dict[str, Any]:
    run = queries.get_run(services(request).pool, _run_id(run_id))
    if run is None:
        raise ApiError(404, f"run {run_id} not found")
    return run


@router.get("/{run_id}/events", summary="The run's append-only history, oldest first")
def get_events(request: Request, run_id: str, after: int = 0, limit: int = 1000) -> dict[str, Any]:
    if not 1 <= limit <= 1000:
        raise ApiError(422, "limit must be between 1 and 1000")
    events = queries.get_events(services(request).pool, _run_id(run_id), after, limit)
    if events is None:
        raise ApiError(404, f"run {run_id} not found")
    return {"runId": run_id, "events": events}


@router.post(
    "/{run_id}/cancel",
    summary="Cancel a run: pending jobs never dispatched, waits dropped, late results ignored",
    responses={404: {"description": "unknown run"}, 409: {"description": "the run already ended"}},
)
def cancel_run(request: Request, run_id: str) -> dict[str, Any]:
    try:
        return operations.cancel(services(request).pool, _run_id(run_id)).to_json()
    except operations.RunNotFound as exc:
        raise ApiError(404, f"run {run_id} not found") from exc
    except operations.WrongState as exc:
        raise ApiError(409, str(exc)) from exc


@router.post(
    "/{run_id}/retry",
    summary="Retry a FAILED run: its failed, dead-lettered and unfinished steps run again",
    responses={404: {"description": "unknown run"}, 409: {"description": "the run is not FAILED"}},
)
def retry_run(request: Request, run_id: str) -> dict[str, Any]:
    s = services(request)
    try:
        return operations.retry(s.pool, s.registry, s.settings.kafka.jobs_topic, _run_id(run_id)).to_json()
    except operations.RunNotFound as exc:
        raise ApiError(404, f"run {run_id} not found") from exc
    except operations.WrongState as exc:
        raise ApiError(409, str(exc)) from exc
