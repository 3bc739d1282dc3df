"""Per-action limits, global across every worker and orchestrator (docs/flow-control.md)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from legato.api.errors import ApiError
from legato.api.models import problem
from legato.api.models.flow import ActionLimits, ActionLimitsList, RateLimit
from legato.api.workflows import services
from legato.definitions.limits import ACTION
from legato.flow.action_limits import Rate, clear_limits, get_limits, set_limits
from legato.store.limits_sql import LimitRow

router = APIRouter(prefix="/actions", tags=["flow control"])

Action = Annotated[str, Path(pattern=ACTION, description="an action name, as steps name it")]
MAX_LIMIT = 100_000


class RateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)]
    periodSeconds: Annotated[float, Field(gt=0, le=86_400)]  # noqa: N815 - the API's field names


class LimitsBody(BaseModel):
    """At most `maxConcurrent` jobs of the action in flight, and at most `rate.limit` published per
    `rate.periodSeconds` (a bucket of that many tokens, refilled evenly); either, or both."""

    model_config = ConfigDict(extra="forbid")

    maxConcurrent: Annotated[int, Field(ge=1, le=MAX_LIMIT)] | None = None  # noqa: N815
    rate: RateBody | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> "LimitsBody":
        if self.maxConcurrent is None and self.rate is None:
            raise ValueError("give maxConcurrent, rate, or both (DELETE clears the limits)")
        return self


def _answer(row: LimitRow) -> ActionLimits:
    rate = None
    if row.rate_limit is not None and row.rate_period_ms is not None:
        rate = RateLimit(limit=row.rate_limit, periodSeconds=row.rate_period_ms / 1000)
    return ActionLimits(
        action=row.action,
        maxConcurrent=row.max_concurrent,
        rate=rate,
        inFlight=row.in_flight,
        throttled=row.throttled,
        tokens=None if row.tokens is None else round(row.tokens, 3),
        updatedAt=row.updated_at.isoformat(),
    )


@router.get("/limits", summary="Every action's limits, with their state now")
async def list_limits(request: Request) -> ActionLimitsList:
    rows = await run_in_threadpool(get_limits, services(request).pool, None)
    return ActionLimitsList(items=[_answer(r) for r in rows])


@router.put(
    "/{action}/limits",
    summary="Set an action's limits (maxConcurrent, rate): jobs over them wait in PostgreSQL",
    responses={422: problem("a bad body or action name")},
)
async def put_limits(request: Request, action: Action, body: LimitsBody) -> ActionLimits:
    rate = None
    if body.rate is not None:
        period_ms = round(body.rate.periodSeconds * 1000)
        if period_ms < 1:
            raise ApiError(422, "body.rate.periodSeconds: must be 0.001 or more")
        rate = Rate(body.rate.limit, period_ms)
    row = await run_in_threadpool(set_limits, services(request).pool, action, body.maxConcurrent, rate)
    return _answer(row)


@router.get(
    "/{action}/limits",
    summary="An action's limits, with the jobs in flight and throttled and the tokens left",
    responses={404: problem("the action has no limits")},
)
async def get_action_limits(request: Request, action: Action) -> ActionLimits:
    rows = await run_in_threadpool(get_limits, services(request).pool, action)
    if not rows:
        raise ApiError(404, f"action {action!r} has no limits")
    return _answer(rows[0])


@router.delete(
    "/{action}/limits",
    status_code=204,
    summary="Clear an action's limits: its throttled jobs are published at once",
    responses={404: problem("the action has no limits")},
)
async def delete_limits(request: Request, action: Action) -> Response:
    if not await run_in_threadpool(clear_limits, services(request).pool, action):
        raise ApiError(404, f"action {action!r} has no limits")
    return Response(status_code=204)
