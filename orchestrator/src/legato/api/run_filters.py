"""The run-list filters as query parameters and as a JSON body (bulk operations), checked here."""

from dataclasses import replace
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from legato.api.errors import ApiError
from legato.runs.filters import InvalidFilter, RunFilter, parse_statuses, utc

NO_NUL = r"^[^\x00]*$"
MAX_INT = 2**31 - 1
Q_DOC = (
    'Text contained in the run\'s input, as PostgreSQL prints the JSON (`{"key": "value"}`), '
    "case-insensitive. Bounded: only the newest 10,000 runs that match the other filters (after "
    "`cursor`), and of those as many as hold 32 MiB of input, are searched (`windowFull` when older "
    "runs were left); `nextCursor` then goes on from the last run searched, so a rare text is found "
    "page by page at the same cost per page. Narrow it with workflowId or a time range."
)

Text = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=NO_NUL)]
SearchText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
TextParam = Annotated[str | None, Query(min_length=1, max_length=255, pattern=NO_NUL)]


def base_filter(
    workflowId: TextParam = None,  # noqa: N803 - the API's field names
    version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    createdAfter: Annotated[datetime | None, Query(description="ISO 8601; no zone: UTC")] = None,  # noqa: N803
    createdBefore: Annotated[datetime | None, Query(description="ISO 8601, exclusive")] = None,  # noqa: N803
    runId: UUID | None = None,  # noqa: N803
    idempotencyKey: TextParam = None,  # noqa: N803
    correlationId: TextParam = None,  # noqa: N803
    scheduleId: TextParam = None,  # noqa: N803
    triggerId: TextParam = None,  # noqa: N803
    q: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL, description=Q_DOC)] = None,
) -> RunFilter:
    return RunFilter(
        workflow_id=workflowId,
        version=version,
        created_after=utc(createdAfter),
        created_before=utc(createdBefore),
        run_id=runId,
        idempotency_key=idempotencyKey,
        correlation_id=correlationId,
        schedule_id=scheduleId,
        trigger_id=triggerId,
        q=q,
    )


def _statuses(values: list[str] | None) -> tuple[str, ...]:
    try:
        return parse_statuses(values)
    except InvalidFilter as exc:
        raise ApiError(422, str(exc)) from exc


def list_filter(
    base: Annotated[RunFilter, Depends(base_filter)],
    status: Annotated[
        list[Annotated[str, StringConstraints(max_length=100)]] | None,
        Query(description="Repeatable or a comma list: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED"),
    ] = None,
) -> RunFilter:
    return replace(base, statuses=_statuses(status))


class FilterBody(BaseModel):
    """The list's filters, in a body (bulk operations)."""

    model_config = ConfigDict(extra="forbid")

    status: list[Annotated[str, StringConstraints(max_length=100)]] | str | None = None
    workflowId: Text | None = None  # noqa: N815 - the API's field names
    version: Annotated[int, Field(ge=1, le=MAX_INT)] | None = None
    createdAfter: datetime | None = None  # noqa: N815
    createdBefore: datetime | None = None  # noqa: N815
    runId: UUID | None = None  # noqa: N815
    idempotencyKey: Text | None = None  # noqa: N815
    correlationId: Text | None = None  # noqa: N815
    scheduleId: Text | None = None  # noqa: N815
    triggerId: Text | None = None  # noqa: N815
    q: SearchText | None = Field(None, description=Q_DOC)

    def to_filter(self) -> RunFilter:
        raw = [self.status] if isinstance(self.status, str) else self.status
        return RunFilter(
            statuses=_statuses(raw),
            workflow_id=self.workflowId,
            version=self.version,
            created_after=utc(self.createdAfter),
            created_before=utc(self.createdBefore),
            run_id=self.runId,
            idempotency_key=self.idempotencyKey,
            correlation_id=self.correlationId,
            schedule_id=self.scheduleId,
            trigger_id=self.triggerId,
            q=self.q,
        )
