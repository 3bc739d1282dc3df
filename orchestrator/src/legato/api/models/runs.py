# ruff: noqa: N815 - the API's field names
"""Answers about one run: the run with its steps, its history, cancel and retry."""

from typing import Literal

from pydantic import MISSING

from legato.api.models._base import Answer, Json, Timestamp, Uuid
from legato.api.models.run_list import RunStatus


class Deadline(Answer):
    at: Timestamp
    kind: str | None


class LiveAttempt(Answer):
    """The step's newest attempt not ended: `queued` until a worker reports its start."""

    jobId: Uuid
    state: Literal["queued", "running"]
    startedAt: Timestamp | None
    heartbeatAt: Timestamp | None
    progress: Json
    workerId: str | None
    deadline: Deadline | None


class StepItems(Answer):
    """A map step's items."""

    total: int
    completed: int


class RunStep(Answer):
    """`wakeAt` only for a wait step that has a wake time, `items` only for a map step,
    `liveAttempt` only while an attempt is open."""

    id: str
    action: str | None
    status: str
    attempts: int
    input: Json
    output: Json
    error: Json
    startedAt: Timestamp | None
    endedAt: Timestamp | None
    wakeAt: Timestamp | MISSING = MISSING
    items: StepItems | MISSING = MISSING
    liveAttempt: LiveAttempt | MISSING = MISSING


class Run(Answer):
    runId: Uuid
    workflowId: str
    version: int
    status: RunStatus
    input: Json
    output: Json
    error: Json
    correlationId: str | None
    createdAt: Timestamp
    updatedAt: Timestamp
    endedAt: Timestamp | None
    steps: list[RunStep]


class RunEvent(Answer):
    id: int
    at: Timestamp
    type: str
    stepId: str | None
    attempt: int | None
    data: Json


class RunEvents(Answer):
    runId: str  # as the path gave it
    events: list[RunEvent]


class RunChange(Answer):
    """What a cancel or a retry did: `changed` false when the run already was where it asked
    (cancelled, or running again). `retriedSteps` only when a retry re-runs steps."""

    runId: Uuid
    status: RunStatus
    changed: bool
    retriedSteps: list[str] | MISSING = MISSING
