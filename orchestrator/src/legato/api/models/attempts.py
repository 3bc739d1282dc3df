# ruff: noqa: N815 - the API's field names
"""The answer of a run's attempts and waits (its timeline)."""

from legato.api.models._base import Answer, Timestamp, Uuid


class Attempt(Answer):
    jobId: Uuid
    stepId: str
    item: int | None  # the map item's index; null for a task step
    attempt: int
    state: str
    createdAt: Timestamp
    dispatchedAt: Timestamp | None
    startedAt: Timestamp | None
    finishedAt: Timestamp | None
    workerId: str | None
    deadlineKind: str | None
    requeues: int
    action: str
    generation: int


class StepWait(Answer):
    stepId: str
    status: str
    startedAt: Timestamp | None
    endedAt: Timestamp | None
    wakeAt: Timestamp | None  # while waiting


class AttemptPage(Answer):
    runId: Uuid
    attempts: list[Attempt]
    waits: list[StepWait]
    nextCursor: str | None
