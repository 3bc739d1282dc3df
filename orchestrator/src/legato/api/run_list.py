"""The run list with its filters and counts, and bulk cancel / retry / pause / resume of runs."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from legato.api.errors import ApiError
from legato.api.models import BulkResult, RunCounts, RunPage
from legato.api.run_filters import NO_NUL, FilterBody, base_filter, list_filter
from legato.api.workflows import services
from legato.runs import bulk, listing
from legato.runs.filters import InvalidFilter, RunFilter

router = APIRouter(prefix="/workflow/runs", tags=["runs"])

RUN_EXAMPLE = {
    "runId": "0192f0c4-5b1e-7c3a-8f00-000000000001",
    "workflowId": "orders",
    "version": 3,
    "status": "FAILED",
    "createdAt": "2026-01-05T10:00:00.123000+00:00",
    "endedAt": "2026-01-05T10:00:02.456000+00:00",
    "correlationId": "order-42",
    "idempotencyKey": "order-42",
    "error": {"stepId": "charge", "type": "CardDeclined", "message": "insufficient funds"},
}


def _example(value: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": value}}}}


@router.get(
    "",
    summary="List runs, newest first, filtered, in keyset pages",
    description=(
        "Filters combine (AND). `cursor` is the `nextCursor` of the previous page (opaque); a page "
        "costs the same at any depth. With `q`, the response tells how many runs were `searched` "
        "and whether its window was full (`windowFull`: older runs are left for `nextCursor`)."
    ),
    responses=_example({"runs": [RUN_EXAMPLE], "nextCursor": "MjAyNi0wMS0wNVQxMDowMDowMC4xMjMrMDA6MDB8..."}),
)
def list_runs(
    request: Request,
    f: Annotated[RunFilter, Depends(list_filter)],
    limit: Annotated[int, Query(ge=1, le=listing.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
) -> RunPage:
    try:
        return RunPage.model_validate(listing.list_runs(services(request).pool, f, limit, cursor))
    except InvalidFilter as exc:
        raise ApiError(422, str(exc)) from exc


@router.get(
    "/counts",
    summary="Runs per status matching the filters (those of the list but status, cursor, limit)",
    responses=_example(
        {
            "counts": {
                "PENDING": 0,
                "RUNNING": 12,
                "PAUSED": 1,
                "COMPLETED": 9811,
                "FAILED": 40,
                "CANCELLED": 3,
            }
        }
    ),
)
def run_counts(request: Request, f: Annotated[RunFilter, Depends(base_filter)]) -> RunCounts:
    return RunCounts.model_validate(listing.counts(services(request).pool, f))


class BulkBody(BaseModel):
    """Either `runIds` or `filter` (the list's filters; every matching run, newest first, up to
    `limit`)."""

    model_config = ConfigDict(extra="forbid")

    runIds: Annotated[list[UUID], Field(min_length=1, max_length=10_000)] | None = None  # noqa: N815
    filter: FilterBody | None = None
    dryRun: bool = False  # noqa: N815
    limit: Annotated[int, Field(ge=1, le=10_000)] = 1000

    @model_validator(mode="after")
    def one_selection(self) -> "BulkBody":
        if (self.runIds is None) == (self.filter is None):
            raise ValueError("give either runIds or filter")
        if self.runIds is not None and len(self.runIds) > self.limit:
            raise ValueError(f"{len(self.runIds)} runIds is more than limit ({self.limit})")
        return self

    def selection(self) -> bulk.Selection:
        return bulk.Selection(
            run_ids=self.runIds,
            filter=self.filter.to_filter() if self.filter is not None else None,
            limit=self.limit,
        )


BULK_DOC = (
    "`matched`: runs named by `runIds` that exist, or runs matching `filter` that the operation "
    "applies to (up to `limit`; `more` says the filter matches more, or may: a `q` search that "
    "stopped at its window). `changed`: those changed "
    "(with `dryRun`, those that would change; nothing is changed). `runIds`: the first 100 changed. "
    "Works in batches, one transaction each; every changed run records the event a single "
    'operation writes, with `"bulk": true`.'
)
BULK_EXAMPLE = _example(
    {"matched": 2, "changed": 2, "dryRun": True, "runIds": [RUN_EXAMPLE["runId"]], "more": False}
)


def _selection(body: BulkBody) -> bulk.Selection:
    try:
        return body.selection()
    except InvalidFilter as exc:
        raise ApiError(422, str(exc)) from exc


@router.post(
    "/cancel",
    summary="Cancel many PENDING, RUNNING or PAUSED runs",
    description=BULK_DOC,
    responses=BULK_EXAMPLE,
)
def cancel_runs(request: Request, body: BulkBody) -> BulkResult:
    outcome = bulk.cancel(services(request).pool, _selection(body), body.dryRun)
    return BulkResult.model_validate(outcome.to_json())


@router.post(
    "/retry",
    summary="Retry many FAILED runs from where they failed",
    description=BULK_DOC,
    responses=BULK_EXAMPLE,
)
def retry_runs(request: Request, body: BulkBody) -> BulkResult:
    s = services(request)
    selection = _selection(body)
    outcome = bulk.retry(s.pool, s.registry, s.settings.kafka.jobs_topic, selection, body.dryRun)
    return BulkResult.model_validate(outcome.to_json())


@router.post(
    "/pause",
    summary="Pause many RUNNING runs",
    description=BULK_DOC,
    responses=BULK_EXAMPLE,
)
def pause_runs(request: Request, body: BulkBody) -> BulkResult:
    outcome = bulk.pause(services(request).pool, _selection(body), body.dryRun)
    return BulkResult.model_validate(outcome.to_json())


@router.post(
    "/resume",
    summary="Resume many PAUSED runs where they stopped",
    description=BULK_DOC,
    responses=BULK_EXAMPLE,
)
def resume_runs(request: Request, body: BulkBody) -> BulkResult:
    s = services(request)
    selection = _selection(body)
    outcome = bulk.resume(s.pool, s.registry, s.settings.kafka.jobs_topic, selection, body.dryRun)
    return BulkResult.model_validate(outcome.to_json())
