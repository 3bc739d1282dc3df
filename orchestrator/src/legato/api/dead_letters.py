"""Dead letters: list, read one, replay (the logic of `legato dlt replay`)."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from legato.api.errors import ApiError
from legato.api.inputs import json_body, payload_size
from legato.api.models import DeadLetterDetail, DeadLetterPage, ReplayAnswer, problem
from legato.api.run_filters import NO_NUL, Text, TextParam
from legato.api.services import Services
from legato.api.workflows import services
from legato.dlt import get_row, listing, replays
from legato.runs.filters import InvalidFilter, decode_cursor, encode_cursor, utc

router = APIRouter(prefix="/dead-letters", tags=["dead letters"])

MAX_PAGE = 500

ROW_EXAMPLE = {
    "id": "0192f0c4-5b1f-7000-8000-000000000002",
    "runId": "0192f0c4-5b1e-7c3a-8f00-000000000001",
    "stepId": "charge",
    "item": None,
    "workflowId": "orders",
    "version": 3,
    "action": "charge-card",
    "attempt": 3,
    "reason": "retries-exhausted",
    "errorType": "CardDeclined",
    "errorMessage": "insufficient funds",
    "deadAt": "2026-01-05T10:00:02.400000+00:00",
    "replayedAt": None,
    "replayJobId": None,
}


@router.get(
    "",
    summary="Dead letters, newest first, filtered, in keyset pages",
    responses={
        200: {
            "content": {"application/json": {"example": {"deadLetters": [ROW_EXAMPLE], "nextCursor": None}}}
        }
    },
)
def list_dead_letters(
    request: Request,
    workflowId: TextParam = None,  # noqa: N803 - the API's field names
    action: TextParam = None,
    errorType: TextParam = None,  # noqa: N803
    since: Annotated[datetime | None, Query(description="dead at or after (ISO 8601; no zone: UTC)")] = None,
    runId: UUID | None = None,  # noqa: N803
    replayed: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
) -> DeadLetterPage:
    f = listing.DeadLetterFilter(workflowId, action, errorType, utc(since), runId, replayed)
    try:
        after = decode_cursor(cursor) if cursor else None
    except InvalidFilter as exc:
        raise ApiError(422, str(exc)) from exc
    with services(request).pool.connection() as conn:
        rows = listing.page(conn, f, limit + 1, after)
    page = rows[:limit]
    return DeadLetterPage.model_validate(
        {
            "deadLetters": [listing.summary(r) for r in page],
            "nextCursor": encode_cursor(page[-1].dead_at, page[-1].job_id) if len(rows) > limit else None,
        }
    )


@router.get(
    "/{dead_letter_id}",
    summary="One dead letter with the DLT record's headers and its payload (null when not kept)",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        **ROW_EXAMPLE,
                        "headers": {
                            "legato-job-id": ROW_EXAMPLE["id"],
                            "legato-dlt-reason": "retries-exhausted",
                        },
                        "payload": {"amount": 5},
                        "payloadKept": True,
                    }
                }
            }
        },
        404: problem("no such dead letter"),
    },
)
def get_dead_letter(request: Request, dead_letter_id: str) -> DeadLetterDetail:
    try:
        job_id = UUID(dead_letter_id)
    except ValueError as exc:
        raise ApiError(
            422, f"{dead_letter_id!r} is not a dead letter id (the dead job's id, a UUID)"
        ) from exc
    with services(request).pool.connection() as conn:
        found = get_row(conn, job_id)
    if found is None:
        raise ApiError(404, f"no dead letter {dead_letter_id}")
    return DeadLetterDetail.model_validate(listing.detail(found))


class ReplayFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflowId: Text | None = None  # noqa: N815 - the API's field names
    action: Text | None = None
    errorType: Text | None = None  # noqa: N815
    since: datetime | None = None
    runId: UUID | None = None  # noqa: N815
    replayed: bool | None = False


class ReplayBody(BaseModel):
    """One of `ids`, `runId` (its dead letters) or `filter` (the list's filters; by default only
    those not replayed yet, newest `limit` of them)."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[UUID], Field(min_length=1, max_length=replays.MAX_REPLAY)] | None = None
    runId: UUID | None = None  # noqa: N815
    filter: ReplayFilter | None = None
    dryRun: bool = False  # noqa: N815
    payload: Any = Field(
        None,
        description=(
            "Replaces the step's input, checked like a trigger's input; `null` replaces it with JSON "
            "null, while leaving the field out replays the dead job's own payload. Only with exactly one id"
        ),
    )
    limit: Annotated[int, Field(ge=1, le=replays.MAX_REPLAY)] = 100

    @model_validator(mode="after")
    def one_selection(self) -> "ReplayBody":
        if sum(x is not None for x in (self.ids, self.runId, self.filter)) != 1:
            raise ValueError("give exactly one of ids, runId or filter")
        if "payload" in self.model_fields_set and (self.ids is None or len(self.ids) != 1):
            raise ValueError("payload replaces one step's input: give it with exactly one id")
        return self


@router.post(
    "/replay",
    summary="Replay dead letters into their runs (as `legato dlt replay`)",
    description=(
        "Each record in its own transaction, oldest first: the run is re-opened from where it "
        "failed and the dead step runs again. A record already replayed is reported as "
        "`alreadyReplayed` and its step is not dispatched again. With `dryRun`, everything is done "
        "and rolled back. `replayed` counts the records replayed (or that would be, in a dry run)."
    ),
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "matched": 1,
                        "replayed": 1,
                        "dryRun": False,
                        "results": [
                            {
                                "id": ROW_EXAMPLE["id"],
                                "outcome": "replayed",
                                "runId": ROW_EXAMPLE["runId"],
                                "stepId": "charge",
                                "item": None,
                                "replayJobId": "0192f0c5-0000-7000-8000-000000000003",
                                "error": None,
                            }
                        ],
                    }
                }
            }
        }
    },
)
async def replay_dead_letters(request: Request, body: ReplayBody) -> ReplayAnswer:
    s = services(request)
    # The body again, through the checks of a trigger's body: FastAPI's own parse turned NaN, 1e400
    # or a 30-digit decimal into floats without a word.
    checked = await json_body(request, s.settings.api.max_body_bytes)
    payload = None
    if "payload" in body.model_fields_set:
        payload_size(checked["payload"], "body.payload")
        payload = orjson.dumps(checked["payload"]).decode()
    return await run_in_threadpool(_replay, s, body, payload)


def _replay(s: Services, body: ReplayBody, payload: str | None) -> ReplayAnswer:
    if body.ids is not None:
        selection = replays.Selection(ids=body.ids)
    elif body.runId is not None:
        selection = replays.Selection(run_id=body.runId)
    else:
        assert body.filter is not None
        g = body.filter
        selection = replays.Selection(
            filter=listing.DeadLetterFilter(
                g.workflowId, g.action, g.errorType, utc(g.since), g.runId, g.replayed
            )
        )
    return ReplayAnswer.model_validate(
        replays.replay_selection(
            s.pool, s.settings.kafka.jobs_topic, selection, payload, body.dryRun, body.limit
        )
    )
