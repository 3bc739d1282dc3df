# ruff: noqa: N815 - the API's field names
"""Answers of the run list, its counts per status, and bulk cancel / retry."""

from typing import Literal

from pydantic import MISSING

from legato.api.models._base import Answer, Timestamp, Uuid

RunStatus = Literal["PENDING", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELLED"]


class RunError(Answer):
    """Where and why a FAILED run failed."""

    stepId: str | None
    type: str | None
    message: str | None


class RunSummary(Answer):
    runId: Uuid
    workflowId: str
    version: int
    status: RunStatus
    createdAt: Timestamp
    endedAt: Timestamp | None
    correlationId: str | None
    idempotencyKey: str | None
    error: RunError | None  # null unless FAILED
    scheduleId: str | None  # the schedule that started it, and for which fire time
    scheduledAt: Timestamp | None
    triggerId: str | None  # the Kafka-topic trigger whose record started it
    priority: int  # 1 (highest) .. 5


class RunPage(Answer):
    """`searched` and `windowFull` only with `q`."""

    runs: list[RunSummary]
    nextCursor: str | None
    searched: int | MISSING = MISSING
    windowFull: bool | MISSING = MISSING


class StatusCounts(Answer):
    PENDING: int
    RUNNING: int
    PAUSED: int
    COMPLETED: int
    FAILED: int
    CANCELLED: int


class RunCounts(Answer):
    """Without `q`: `atLeast`, the statuses whose count stopped at its cap. With `q`: the search
    window (`searchWindow` runs, `searchWindowBytes` of input), `searched` and `windowFull`."""

    counts: StatusCounts
    atLeast: list[RunStatus] | MISSING = MISSING
    searchWindow: int | MISSING = MISSING
    searchWindowBytes: int | MISSING = MISSING
    searched: int | MISSING = MISSING
    windowFull: bool | MISSING = MISSING


class BulkResult(Answer):
    matched: int
    changed: int
    dryRun: bool
    runIds: list[Uuid]
    more: bool
