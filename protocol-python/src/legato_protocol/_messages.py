"""The message types, as the plain dicts fastavro reads and writes (no per-message objects)."""

from typing import Literal, NotRequired, TypedDict


class Failure(TypedDict):
    type: str
    message: str
    nonRetryable: bool
    details: str | None
    stackTrace: str | None


class Job(TypedDict):
    jobId: str
    runId: str
    stepId: str
    attempt: int
    action: str
    payload: str
    workflowId: str
    workflowVersion: int
    queue: str
    traceparent: NotRequired[str | None]
    correlationId: NotRequired[str | None]
    createdAt: int
    deadlineAt: NotRequired[int | None]  # v2: start-by time (never start at or after it)
    startToCloseMs: NotRequired[int | None]  # v2
    heartbeatTimeoutMs: NotRequired[int | None]  # v2
    lastHeartbeatDetails: NotRequired[str | None]  # v2


class Result(TypedDict):
    jobId: str
    runId: str
    stepId: str
    attempt: int
    action: str
    status: Literal["COMPLETED", "FAILED"]
    output: str | None
    failure: Failure | None
    workerId: str
    sdk: str
    traceparent: NotRequired[str | None]
    correlationId: NotRequired[str | None]
    startedAt: int
    finishedAt: int


ProgressKind = Literal["STARTED", "HEARTBEAT", "SKIPPED"]


class Progress(TypedDict):
    """v2: an attempt started, is alive (with details), or was skipped; on the results topic."""

    jobId: str
    runId: str
    stepId: str
    attempt: int
    action: str
    kind: ProgressKind
    details: str | None
    reason: str | None  # SKIPPED: DeadlinePassed or Withdrawn
    workerId: str
    sdk: str
    startedAt: int
    at: int


class Cancel(TypedDict):
    """v2: the orchestrator withdrew an attempt; on the control topic, keyed by jobId."""

    jobId: str
    runId: str
    stepId: str
    attempt: int
    action: str
    reason: str
    message: str
    at: int
