"""Read a run, and its event history."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from legato.api.errors import ApiError
from legato.api.workflows import services
from legato.runs import queries

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
