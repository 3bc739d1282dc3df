"""Read dead-letter topics from Kafka (nothing committed).

`legato dlt` reads the `dead_letters` table; Kafka is read only to look at what the table does not
hold: results the orchestrator could not decode (workflow-results.DLT), job messages a worker could
not decode (written to workflow-jobs.DLT by the worker), and one record named `<partition>-<offset>`.

A topic is read as a stream (`scan`), never whole into memory: the caller keeps what it needs and
stops when it has enough; a read also stops at its budget of records, bytes and time, and its
`Scan` says how far it went.
"""

import time
import uuid
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from legato.kafka.clients import connection
from legato.kafka.closing import Closer
from legato_protocol import DecodeError, Job, decode_job, headers

CLOSER = Closer("legato-dlt-reader-closer")  # a read's consumer, once it answered


@dataclass(slots=True)
class DeadLetterRecord:
    id: str  # "<partition>-<offset>" in its DLT topic
    topic: str
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    headers: dict[str, str] = field(default_factory=dict)
    job: Job | None = None
    decode_error: str | None = None

    @property
    def failed_at(self) -> datetime:
        raw = self.headers.get(headers.FAILED_AT)
        ms = int(raw) if raw and raw.isdigit() else self.timestamp_ms
        return datetime.fromtimestamp(ms / 1000, tz=UTC)

    def get(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def job_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.job["jobId"]) if self.job else None

    def summary(self) -> dict[str, Any]:
        job = self.job
        return {
            "id": self.id,
            "failedAt": self.failed_at.isoformat(),
            "reason": self.get(headers.DLT_REASON),
            "errorType": self.get(headers.ERROR_TYPE),
            "errorMessage": self.get(headers.ERROR_MESSAGE),
            "workflowId": job["workflowId"] if job else self.get(headers.WORKFLOW_ID),
            "runId": job["runId"] if job else self.get(headers.RUN_ID),
            "stepId": job["stepId"] if job else self.get(headers.STEP_ID),
            "action": job["action"] if job else self.get(headers.ACTION),
            "attempts": self.get(headers.ATTEMPTS),
        }


@dataclass(slots=True)
class Scan:
    """How far a read of a topic went: records and bytes (keys, values, headers) read, whether it
    read every record the topic held when it began, and if not what stopped it (`stop`, or
    "records", "bytes", "time")."""

    max_records: int
    max_bytes: int
    records: int = 0
    bytes: int = 0
    complete: bool = False
    stopped_by: str | None = None

    def stop(self, reason: str) -> None:
        if not self.complete and self.stopped_by is None:
            self.stopped_by = reason

    def to_json(self) -> dict[str, Any]:
        return {
            "scanned": self.records,
            "scannedBytes": self.bytes,
            "complete": self.complete,
            "stoppedBy": self.stopped_by,
        }


def scan(
    bootstrap: str, topic: str, within: Scan, timeout: float = 15
) -> Generator[DeadLetterRecord, None, None]:
    """The records of `topic` up to its end offsets when the read begins, each partition in offset
    order, within `within`'s budget and `timeout` seconds. Close the iterator when done early."""
    consumer = Consumer(
        {
            **connection(bootstrap),
            "group.id": f"legato-dlt-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    try:
        ends = _assign(consumer, topic, timeout)
        deadline = time.monotonic() + timeout
        while ends:
            if time.monotonic() >= deadline:
                within.stop("time")
                return
            for m in consumer.consume(min(500, within.max_records), timeout=0.5):
                if m.error():
                    continue
                if within.records >= within.max_records or within.bytes >= within.max_bytes:
                    within.stop("records" if within.records >= within.max_records else "bytes")
                    return
                partition, offset = m.partition() or 0, m.offset() or 0
                record = _record(topic, m.key(), m.value(), m.timestamp()[1], m.headers(), partition, offset)
                within.records += 1
                within.bytes += _size(record)
                if offset + 1 >= ends.get(partition, 0):
                    ends.pop(partition, None)
                    within.complete = not ends
                yield record
        within.complete = True
    finally:
        CLOSER.close_later(consumer)  # the answer need not wait for it


def _assign(consumer: Consumer, topic: str, timeout: float) -> dict[int, int]:
    """Assign every partition of `topic` that holds records, from its first; their end offsets."""
    meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    if meta is None or meta.error is not None:
        return {}
    ends: dict[int, int] = {}
    assign = []
    for p in meta.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
        if high > low:
            ends[p] = high
            assign.append(TopicPartition(topic, p, low))
    if assign:
        consumer.assign(assign)
    return ends


def _size(record: DeadLetterRecord) -> int:
    headers_size = sum(len(k) + len(v) for k, v in record.headers.items())
    return len(record.key or b"") + len(record.value or b"") + headers_size


def _record(
    topic: str,
    key: bytes | None,
    value: bytes | None,
    ts: int,
    raw_headers: Any,
    partition: int,
    offset: int,
) -> DeadLetterRecord:
    record = DeadLetterRecord(
        id=f"{partition}-{offset}",
        topic=topic,
        key=key,
        value=value,
        timestamp_ms=ts,
        headers=_headers(raw_headers),
    )
    try:
        record.job = decode_job(value)
    except DecodeError as exc:
        record.decode_error = str(exc)
    return record


def _headers(raw: Any) -> dict[str, str]:
    pairs = raw.items() if isinstance(raw, dict) else raw or []
    return {str(k): v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v or "") for k, v in pairs}


def read_record(
    bootstrap: str, topic: str, partition: int, offset: int, timeout: float = 10
) -> DeadLetterRecord | None:
    """The one record at `partition`/`offset` of `topic`, or None if the topic does not hold it."""
    consumer = Consumer(
        {
            **connection(bootstrap),
            "group.id": f"legato-dlt-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
        }
    )
    try:
        meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if meta is None or meta.error is not None or partition not in meta.partitions:
            return None
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
        if not low <= offset < high:
            return None  # never written, or gone with the topic's retention
        consumer.assign([TopicPartition(topic, partition, offset)])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = consumer.poll(0.5)
            if m is None or m.error():
                continue
            if m.offset() == offset:
                return _record(topic, m.key(), m.value(), m.timestamp()[1], m.headers(), partition, offset)
            if (m.offset() or 0) > offset:  # compacted away
                return None
        return None
    finally:
        CLOSER.close_later(consumer)  # the answer need not wait for it
