"""The DLT topics themselves, for what only Kafka holds (`legato dlt list|show --kafka|--results`),
and indexing the jobs DLT into the dead_letters table (`legato dlt import`).

A topic is streamed (dlt.reader.scan), never read whole into memory: a list stops once it has
`limit` records and one more, or at SCAN_RECORDS / SCAN_BYTES read, and says so (`complete`,
`stoppedBy`); an import indexes IMPORT_BATCH records at a time.
"""

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from confluent_kafka import KafkaException
from fastapi import APIRouter, Query, Request

from legato.api.errors import ApiError
from legato.api.models import DltImport, DltRecord, DltRecordPage, problem
from legato.api.run_filters import TextParam
from legato.api.services import Services
from legato.api.workflows import services
from legato.dlt import reader
from legato.dlt.backfill import import_rows
from legato.dlt.records import KAFKA_ID
from legato.runs.filters import utc
from legato_protocol import headers
from legato_protocol.topics import jobs_dlt_topic, results_dlt_topic

router = APIRouter(prefix="/dead-letters/topics", tags=["dead letters"])

Which = Literal["jobs", "results"]
MAX_RECORDS = 1000
SCAN_RECORDS = 10_000  # records a list reads at most
SCAN_BYTES = 64 * 1024 * 1024  # bytes (keys, values, headers) a list reads at most
IMPORT_BATCH = 500


def _topic(s: Services, which: Which) -> str:
    if which == "results":
        return results_dlt_topic(s.settings.kafka.results_topic)
    return jobs_dlt_topic(s.settings.kafka.jobs_topic)


def _read(
    s: Services, topic: str, within: reader.Scan, use: Callable[[Iterator[reader.DeadLetterRecord]], None]
) -> None:
    """`use` reads the records of `topic` it needs (the stream is closed after it)."""
    records = reader.scan(s.settings.kafka.bootstrap_servers, topic, within)
    try:
        use(records)
    except KafkaException as exc:  # the broker could not answer: say so
        raise ApiError(503, f"Kafka did not answer: {type(exc).__name__}: {exc}") from exc
    finally:
        records.close()


@router.get(
    "/{which}",
    summary="Records of workflow-jobs.DLT (`jobs`) or workflow-results.DLT (`results`), oldest first",
    description=(
        "Read from Kafka, for records the dead_letters table does not hold (undecodable ones, or "
        "dead before the table existed). `id` is `<partition>-<offset>`; `jobId` the dead job "
        "(null when the record names none). Bounded: the read stops once `limit` records match "
        f"and one more, or after {SCAN_RECORDS:,} records or {SCAN_BYTES // 2**20} MiB read "
        "(`scanned`, `scannedBytes`); `complete` says whether every record of the topic was read, "
        "`stoppedBy` what stopped it (`limit`, `records`, `bytes`, `time`), and `more` is true "
        "when more records match or may (a read that stopped early)."
    ),
    responses={503: problem("Kafka did not answer")},
)
def list_records(
    request: Request,
    which: Which,
    workflowId: TextParam = None,  # noqa: N803 - the API's field names
    action: TextParam = None,
    errorType: TextParam = None,  # noqa: N803
    runId: UUID | None = None,  # noqa: N803
    since: Annotated[datetime | None, Query(description="failed at or after (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RECORDS)] = 100,
) -> DltRecordPage:
    s = services(request)
    topic = _topic(s, which)
    after = utc(since)
    out: list[tuple[int, dict[str, Any]]] = []
    within = reader.Scan(SCAN_RECORDS, SCAN_BYTES)

    def keep(records: Iterator[reader.DeadLetterRecord]) -> None:
        for r in records:
            row = r.summary()
            if (
                (workflowId and row["workflowId"] != workflowId)
                or (action and row["action"] != action)
                or (errorType and row["errorType"] != errorType)
                or (runId and row["runId"] != str(runId))
                or (after and r.failed_at < after)
            ):
                continue
            row["jobId"] = str(r.job_id) if r.job_id else (r.get(headers.JOB_ID) or None)
            out.append((r.timestamp_ms, row))
            if len(out) > limit:
                within.stop("limit")
                return

    _read(s, topic, within, keep)
    out.sort(key=lambda kept: kept[0])
    return DltRecordPage.model_validate(
        {
            "topic": topic,
            "records": [row for _, row in out[:limit]],
            "more": len(out) > limit or not within.complete,
            **within.to_json(),
        }
    )


@router.get(
    "/{which}/{record_id}",
    summary="One DLT record by `<partition>-<offset>`: headers, and the job (or why it is undecodable)",
    responses={404: problem("the topic does not hold that record"), 503: problem("Kafka did not answer")},
)
def get_record(request: Request, which: Which, record_id: str) -> DltRecord:
    m = KAFKA_ID.match(record_id)
    if m is None:
        raise ApiError(422, f"{record_id!r} is not a Kafka record id (<partition>-<offset>)")
    s = services(request)
    topic = _topic(s, which)
    try:
        record = reader.read_record(s.settings.kafka.bootstrap_servers, topic, int(m[1]), int(m[2]))
    except Exception as exc:  # the broker could not answer: say so
        raise ApiError(503, f"Kafka did not answer: {type(exc).__name__}: {exc}") from exc
    if record is None:
        raise ApiError(404, f"no record {record_id} in {topic}")
    out: dict[str, Any] = {"id": record.id, "topic": record.topic, "headers": record.headers}
    if record.job is not None:
        job: dict[str, Any] = dict(record.job)
        with contextlib.suppress(orjson.JSONDecodeError, TypeError):
            job["payload"] = orjson.loads(record.job["payload"])
        out["job"] = job
        out["jobId"] = str(record.job_id) if record.job_id else None
    else:
        out["jobId"] = record.get(headers.JOB_ID) or None
        out["decodeError"] = record.decode_error
        out["valueHex"] = (record.value or b"")[:512].hex()
    return DltRecord.model_validate(out)


@router.post(
    "/jobs/import",
    summary="Index the dead letters only workflow-jobs.DLT holds into the dead_letters table",
    description=(
        "For jobs dead-lettered before the table existed: each decodable record whose run still "
        "exists and whose job has no row yet gets one, so it can be listed and replayed. Running it "
        f"again indexes nothing new. Read {IMPORT_BATCH} records at a time; `complete` false: the "
        "read stopped early (`stoppedBy`), run it again."
    ),
    responses={503: problem("Kafka did not answer")},
)
def import_records(request: Request) -> DltImport:
    s = services(request)
    topic = _topic(s, "jobs")
    within = reader.Scan(max_records=2**62, max_bytes=2**62)  # bounded by batches, not in total
    added = 0

    def index(records: Iterator[reader.DeadLetterRecord]) -> None:
        nonlocal added
        batch: list[reader.DeadLetterRecord] = []
        for r in records:
            batch.append(r)
            if len(batch) == IMPORT_BATCH:
                added += _index(s, batch)
                batch = []
        added += _index(s, batch)

    _read(s, topic, within, index)
    return DltImport.model_validate(
        {"topic": topic, "read": within.records, "indexed": added, **within.to_json()}
    )


def _index(s: Services, records: list[reader.DeadLetterRecord]) -> int:
    if not records:
        return 0
    with s.pool.connection() as conn:
        return import_rows(conn, records)
