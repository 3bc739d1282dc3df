"""A run's attempts and waits: what its timeline is drawn from."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from legato.api.errors import ApiError
from legato.api.models import AttemptPage, problem
from legato.api.run_filters import NO_NUL
from legato.api.runs import _run_id
from legato.api.workflows import services
from legato.runs import timeline
from legato.runs.filters import InvalidFilter

router = APIRouter(prefix="/workflow/run", tags=["runs"])

EXAMPLE = {
    "runId": "0192f0c4-5b1e-7c3a-8f00-000000000001",
    "attempts": [
        {
            "jobId": "0192f0c4-5b1f-7000-8000-000000000002",
            "stepId": "charge",
            "item": None,
            "attempt": 1,
            "state": "FAILED",
            "createdAt": "2026-01-05T10:00:00.200000+00:00",
            "dispatchedAt": "2026-01-05T10:00:00.210000+00:00",
            "startedAt": "2026-01-05T10:00:00.250000+00:00",
            "finishedAt": "2026-01-05T10:00:01.250000+00:00",
            "workerId": "host-1-4242",
            "deadlineKind": "StartToClose",
            "requeues": 0,
            "action": "charge-card",
            "generation": 1,
        }
    ],
    "waits": [
        {
            "stepId": "cool-down",
            "status": "COMPLETED",
            "startedAt": "2026-01-05T10:00:01.300000+00:00",
            "endedAt": "2026-01-05T10:01:01.300000+00:00",
            "wakeAt": None,
        }
    ],
    "nextCursor": None,
}


@router.get(
    "/{run_id}/attempts",
    summary="Every attempt of a run (its jobs rows), oldest first, and its waits",
    description=(
        "`state`: PENDING (in the outbox), DISPATCHED (queued in Kafka from `dispatchedAt`, running "
        "from `startedAt`), COMPLETED, FAILED, TIMED_OUT, CANCELLED (withdrawn), or another end state. "
        "`item` is the map item's index (null for a task step). `waits` are the run's wait steps "
        "(`wakeAt` while waiting). Paged by `cursor` (the `nextCursor` of the previous page)."
    ),
    responses={
        200: {"content": {"application/json": {"example": EXAMPLE}}},
        404: problem("unknown run"),
    },
)
def get_attempts(
    request: Request,
    run_id: str,
    limit: Annotated[int, Query(ge=1, le=timeline.MAX_ATTEMPTS_PAGE)] = 500,
    cursor: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
) -> AttemptPage:
    try:
        found = timeline.attempts(services(request).pool, _run_id(run_id), limit, cursor)
    except InvalidFilter as exc:
        raise ApiError(422, str(exc)) from exc
    if found is None:
        raise ApiError(404, f"run {run_id} not found")
    return AttemptPage.model_validate(found)
