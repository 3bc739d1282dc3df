# ruff: noqa: N815 - the API's field names
"""Answers of the DLT topics read from Kafka: a list, one record, an import into the table.

The header fields are the record's `legato-*` headers as text (empty when the record has none)."""

from pydantic import MISSING, ConfigDict

from legato.api.models._base import Answer, Json, Timestamp


class DltRecordSummary(Answer):
    id: str  # <partition>-<offset>
    failedAt: Timestamp
    reason: str
    errorType: str
    errorMessage: str
    workflowId: str
    runId: str
    stepId: str
    action: str
    attempts: str
    jobId: str | None


class DltRecordPage(Answer):
    """`scanned` .. `stoppedBy`: how far the read went (`stoppedBy`: limit, records, bytes, time)."""

    topic: str
    records: list[DltRecordSummary]
    more: bool
    scanned: int
    scannedBytes: int
    complete: bool
    stoppedBy: str | None


class DltImport(Answer):
    topic: str
    read: int
    indexed: int
    scanned: int
    scannedBytes: int
    complete: bool
    stoppedBy: str | None


class DltJob(Answer):
    """The decoded job message (docs/protocol.md), its `payload` parsed when it is JSON. Fields of
    a newer schema version pass through."""

    model_config = ConfigDict(extra="allow")

    jobId: str
    runId: str
    stepId: str
    attempt: int
    action: str
    payload: Json
    workflowId: str
    workflowVersion: int
    queue: str
    createdAt: int
    traceparent: str | None | MISSING = MISSING
    correlationId: str | None | MISSING = MISSING
    deadlineAt: int | None | MISSING = MISSING
    startToCloseMs: int | None | MISSING = MISSING
    heartbeatTimeoutMs: int | None | MISSING = MISSING
    lastHeartbeatDetails: str | None | MISSING = MISSING


class DltRecord(Answer):
    """A decodable record has `job`; an undecodable one `decodeError` and `valueHex` (its first
    512 bytes)."""

    id: str
    topic: str
    headers: dict[str, str]
    job: DltJob | MISSING = MISSING
    jobId: str | None
    decodeError: str | None | MISSING = MISSING
    valueHex: str | MISSING = MISSING
