# ruff: noqa: N815 - the API's field names
"""Answers of the dead letters (the dead_letters table): list, one, replay."""

from typing import Literal

from pydantic import MISSING

from legato.api.models._base import Answer, Json, Timestamp, Uuid


class DeadLetter(Answer):
    id: Uuid  # the dead job's id
    runId: Uuid
    stepId: str
    item: int | None
    workflowId: str
    version: int
    action: str
    attempt: int
    reason: str
    errorType: str
    errorMessage: str
    deadAt: Timestamp
    replayedAt: Timestamp | None
    replayJobId: Uuid | None


class DeadLetterDetail(DeadLetter):
    correlationId: str | None
    generation: int
    headers: dict[str, str]
    payload: Json  # null when not kept (`payloadKept`)
    payloadKept: bool


class DeadLetterPage(Answer):
    deadLetters: list[DeadLetter]
    nextCursor: str | None


class ReplayedRecord(Answer):
    """A record that `failed` has only `id`, `outcome` and `error`."""

    id: Uuid
    outcome: Literal["replayed", "alreadyReplayed", "wouldReplay", "failed"]
    runId: Uuid | MISSING = MISSING
    stepId: str | MISSING = MISSING
    item: int | None | MISSING = MISSING
    replayJobId: Uuid | None | MISSING = MISSING
    error: str | None


class ReplayAnswer(Answer):
    matched: int
    replayed: int
    dryRun: bool
    results: list[ReplayedRecord]
