"""The two message types, as the plain dicts fastavro reads and writes (no per-message objects)."""

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
    deadlineAt: NotRequired[int | None]


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
