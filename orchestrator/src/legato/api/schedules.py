"""Schedules: workflows started on a clock (docs/schedules-and-triggers.md). A body that is wrong
answers 422 naming the field; an unknown schedule 404."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from legato.api.errors import ApiError
from legato.api.inputs import payload_size
from legato.api.models import Backfill, Schedule, ScheduleFired, ScheduleList, problem
from legato.api.services import Services
from legato.api.workflows import services
from legato.definitions.registry import UnknownWorkflow
from legato.payloads import configured, dumps_checked
from legato.schedules import catalog
from legato.schedules.calendar import SpecError
from legato.schedules.spec import (
    DEFAULT_CATCHUP_WINDOW_S,
    MIN_CATCHUP_WINDOW_S,
    SCHEDULE_ID,
    ScheduleSpec,
)

router = APIRouter(prefix="/schedules", tags=["schedules"])

Id = Annotated[str, StringConstraints(pattern=SCHEDULE_ID.pattern)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00]*$")]
Note = Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00]*$")]
MAX_DAY_S = 86_400
T = TypeVar("T")


class ScheduleBody(BaseModel):
    """A schedule: `cron` (5 fields, or 6 with seconds first) or `every` ("15m"), in `timezone`."""

    model_config = ConfigDict(extra="forbid")

    id: Id | None = None
    workflowId: Text  # noqa: N815 - the API's field names
    cron: Text | None = None
    every: Text | None = None
    timezone: Text = "UTC"
    startAt: datetime | None = None  # noqa: N815
    endAt: datetime | None = None  # noqa: N815
    input: Any = None
    overlap: Literal["skip", "bufferOne", "allowAll", "cancelOther"] = "skip"
    catchupWindowSeconds: Annotated[int, Field(ge=MIN_CATCHUP_WINDOW_S, le=366 * MAX_DAY_S)] = (  # noqa: N815
        DEFAULT_CATCHUP_WINDOW_S
    )
    jitterSeconds: Annotated[int, Field(ge=0, le=MAX_DAY_S)] = 0  # noqa: N815
    paused: bool = False
    note: Note | None = None


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class BackfillBody(BaseModel):
    """Every fire time in [startAt, endAt), under `overlap` (the schedule's by default); `bufferAll`
    runs each one after the other."""

    model_config = ConfigDict(extra="forbid")

    startAt: datetime  # noqa: N815
    endAt: datetime  # noqa: N815
    overlap: Literal["skip", "bufferOne", "allowAll", "cancelOther", "bufferAll"] | None = None


# The instants a schedule may name: the calendar steps around them, which must stay inside datetime's
# range (a year-1 or year-9999 time would overflow it).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _utc(t: datetime | None, where: str) -> datetime | None:
    """`t` in UTC (no zone: UTC), between EARLIEST and LATEST (422 naming `where` otherwise)."""
    if t is None:
        return None
    at = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    if not EARLIEST <= at < LATEST:
        raise ApiError(422, f"{where} must be from 1970-01-01 and before 9000-01-01")
    return at


def _spec(body: ScheduleBody, schedule_id: str) -> ScheduleSpec:
    if (body.cron is None) == (body.every is None):
        raise ApiError(422, "body: give exactly one of cron and every")
    payload_size(body.input, "body.input")
    spec = ScheduleSpec(
        schedule_id=schedule_id,
        workflow_id=body.workflowId,
        cron=body.cron,
        every=body.every,
        timezone=body.timezone,
        start_at=_utc(body.startAt, "body.startAt"),
        end_at=_utc(body.endAt, "body.endAt"),
        input=dumps_checked(body.input, configured(), "body.input"),
        overlap=body.overlap,
        catchup_window_s=body.catchupWindowSeconds,
        jitter_s=body.jitterSeconds,
        paused=body.paused,
        note=body.note,
    )
    try:
        spec.calendar()
    except SpecError as exc:
        raise ApiError(422, f"body.{exc.message}") from exc
    return spec


async def _call(fn: Callable[..., T], *args: Any) -> T:
    try:
        return await run_in_threadpool(fn, *args)
    except catalog.ScheduleNotFound as exc:
        raise ApiError(404, str(exc)) from exc
    except catalog.ScheduleExists as exc:
        raise ApiError(409, str(exc)) from exc
    except UnknownWorkflow as exc:
        raise ApiError(422, f"body.workflowId: workflow {exc.args[0]!s} is not defined") from exc
    except catalog.BackfillTooLarge as exc:
        raise ApiError(422, str(exc)) from exc


def _pool(request: Request) -> Any:
    return services(request).pool


def _writer(request: Request) -> Any:
    s: Services = services(request)
    return s.writer


@router.post(
    "",
    status_code=201,
    summary="Create a schedule",
    responses={
        409: problem("a schedule of this id exists"),
        422: problem("a bad body, or an unknown workflow"),
    },
)
async def create_schedule(request: Request, body: ScheduleBody) -> Schedule:
    if body.id is None:
        raise ApiError(422, "body.id: required")
    spec = _spec(body, body.id)
    return Schedule.model_validate(await _call(catalog.create, _pool(request), spec))


@router.get("", summary="List the schedules, with their next fire times and last fire")
async def list_schedules(request: Request) -> ScheduleList:
    found = await _call(catalog.list_all, _pool(request))
    return ScheduleList.model_validate({"schedules": found})


@router.get(
    "/{schedule_id}",
    summary="A schedule, its next 5 fire times and its recent fires",
    responses={404: problem("unknown schedule")},
)
async def get_schedule(request: Request, schedule_id: str) -> Schedule:
    return Schedule.model_validate(await _call(catalog.get, _pool(request), schedule_id))


@router.put(
    "/{schedule_id}",
    summary="Create or replace a schedule (its next fire time counts from now)",
    responses={
        201: {"model": Schedule, "description": "created"},
        422: problem("a bad body, or an unknown workflow"),
    },
)
async def put_schedule(
    request: Request, response: Response, schedule_id: str, body: ScheduleBody
) -> Schedule:
    if not SCHEDULE_ID.match(schedule_id):
        raise ApiError(422, "schedule id must start with a letter: 1-100 letters, digits, '_' or '-'")
    if body.id is not None and body.id != schedule_id:
        raise ApiError(422, f"body.id {body.id!r} is not the path's {schedule_id!r}")
    spec = _spec(body, schedule_id)
    found, created = await _call(catalog.replace, _pool(request), spec)
    if created:
        response.status_code = 201
    return Schedule.model_validate(found)


@router.delete(
    "/{schedule_id}",
    status_code=204,
    summary="Delete a schedule (its runs stay)",
    responses={404: problem("unknown schedule")},
)
async def delete_schedule(request: Request, schedule_id: str) -> Response:
    await _call(catalog.delete, _pool(request), schedule_id)
    return Response(status_code=204)


@router.post(
    "/{schedule_id}/pause",
    summary="Pause a schedule, with a note",
    responses={404: problem("unknown schedule")},
)
async def pause_schedule(request: Request, schedule_id: str, body: PauseBody | None = None) -> Schedule:
    note = body.note if body is not None else None
    return Schedule.model_validate(await _call(catalog.set_paused, _pool(request), schedule_id, True, note))


@router.post(
    "/{schedule_id}/resume",
    summary="Resume a schedule: fire times that passed while it was paused are not caught up",
    responses={404: problem("unknown schedule")},
)
async def resume_schedule(request: Request, schedule_id: str) -> Schedule:
    return Schedule.model_validate(await _call(catalog.set_paused, _pool(request), schedule_id, False, None))


@router.post(
    "/{schedule_id}/trigger",
    summary="Fire a schedule now, under its overlap policy",
    responses={404: problem("unknown schedule")},
)
async def trigger_schedule(request: Request, schedule_id: str) -> ScheduleFired:
    fired = await _call(catalog.trigger, _pool(request), _writer(request), schedule_id)
    return ScheduleFired.model_validate(
        {
            "scheduleId": schedule_id,
            "fireTime": fired.fire_time.isoformat(),
            "outcome": fired.outcome,
            "runId": None if fired.run_id is None else str(fired.run_id),
            "message": fired.message,
        }
    )


@router.post(
    "/{schedule_id}/backfill",
    summary="Fire a schedule for every fire time of a past range (at most 1000; endAt not after now)",
    responses={404: problem("unknown schedule"), 422: problem("a bad range, or more than 1000 fire times")},
)
async def backfill_schedule(request: Request, schedule_id: str, body: BackfillBody) -> Backfill:
    start, end = _utc(body.startAt, "body.startAt"), _utc(body.endAt, "body.endAt")
    assert start is not None and end is not None
    if end <= start:
        raise ApiError(422, "body.endAt must be after body.startAt")
    if end > datetime.now(UTC):
        raise ApiError(
            422, "body.endAt is in the future: a backfill fires past times (trigger fires one now)"
        )
    done = await _call(
        catalog.backfill, _pool(request), _writer(request), schedule_id, start, end, body.overlap
    )
    return Backfill.model_validate(
        {
            "scheduleId": schedule_id,
            "fires": done.fires,
            "started": done.outcomes["started"],
            "buffered": done.outcomes["buffered"],
            "skipped": done.outcomes["skipped"],
            "failed": done.outcomes["failed"],
            "alreadyFired": done.already,
        }
    )
