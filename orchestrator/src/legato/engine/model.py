"""Rows and plans the engine passes between its SQL and its decisions (plain, slotted data)."""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID


@dataclass(slots=True)
class Claimed:
    """An attempt whose outcome this batch won (first valid outcome per attempt wins)."""

    job_id: UUID
    run_id: UUID
    step_id: str
    attempt: int
    action: str
    payload: str
    workflow_id: str
    version: int
    correlation_id: str | None
    status: str  # COMPLETED | FAILED | TIMED_OUT
    output: str | None = None
    failure: dict[str, Any] | None = None
    partition: int | None = None
    offset: int | None = None


@dataclass(slots=True)
class NewJob:
    job_id: UUID
    run_id: UUID
    step_id: str
    attempt: int
    action: str
    topic: str
    payload: str
    timeout_ms: int
    not_before_ms: int  # epoch ms; the scheduler owns the job from then on
    workflow_id: str
    version: int
    correlation_id: str | None
    immediate: bool  # published by the engine right after commit


@dataclass(slots=True)
class StepUpdate:
    run_id: UUID
    step_id: str
    status: str
    attempts: int
    input: str | None = None
    output: str | None = None
    error: str | None = None
    started: bool = False
    ended: bool = False


@dataclass(slots=True)
class RunUpdate:
    run_id: UUID
    status: str
    output: str | None = None
    error: str | None = None


@dataclass(slots=True)
class Event:
    run_id: UUID
    type: str
    step_id: str | None = None
    attempt: int | None = None
    data: str | None = None  # JSON text


@dataclass(slots=True)
class DeadLetter:
    claimed: Claimed
    reason: str
    error_type: str
    error_message: str


@dataclass(slots=True)
class Plan:
    steps: list[StepUpdate] = field(default_factory=list)
    jobs: list[NewJob] = field(default_factory=list)
    runs: list[RunUpdate] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
