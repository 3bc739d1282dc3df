"""Read a run and its event history; cancel a run; retry a failed run."""

from uuid import UUID

from fastapi import APIRouter, Request

from legato.api.errors import ApiError
from legato.api.models import Run, RunChange, RunEvents, problem
from legato.api.workflows import services
from legato.runs import operations, queries

router = APIRouter(prefix="/workflow/run", tags=["runs"])


def _run_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError as exc:
        raise ApiError(422, f"runId {raw!r} is not a UUID") from exc


@router.get("/{run_id}", summary="A run with its steps", responses={404: problem("unknown run")})
def get_run(request: Request, run_id: str) -> Run:
    run = queries.get_run(services(request).pool, _run_id(run_id))
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
    try:
        return RunChange.model_validate(operations.cancel(services(request).pool, _run_id(run_id)).to_json())
    except operations.RunNotFound as exc:
        raise ApiError(404, f"run {run_id} not found") from exc
    except operations.WrongState as exc:
        raise ApiError(409, str(exc)) from exc


@router.post(
    "/{run_id}/retry",
    summary="Retry a FAILED run: its failed, dead-lettered and unfinished steps run again",
    responses={404: problem("unknown run"), 409: problem("the run is not FAILED")},
)
def retry_run(request: Request, run_id: str) -> RunChange:
    s = services(request)
    try:
        outcome = operations.retry(s.pool, s.registry, s.settings.kafka.jobs_topic, _run_id(run_id))
    except operations.RunNotFound as exc:
        raise ApiError(404, f"run {run_id} not found") from exc
    except operations.WrongState as exc:
        raise ApiError(409, str(exc)) from exc
    return RunChange.model_validate(outcome.to_json())
