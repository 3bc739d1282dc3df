"""The DLT topics themselves, for what only Kafka holds (`legato dlt list|show --kafka|--results`),
and indexing the jobs DLT into the dead_letters table (`legato dlt import`)."""

import contextlib
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Request

from legato.api.errors import ApiError
from legato.api.run_filters import TextParam
from legato.api.services import Services
from legato.api.workflows import services
from legato.dlt import reader
from legato.dlt.backfill import import_rows
from legato.dlt.records import KAFKA_ID
from legato.runs.filters import utc
from legato_worker.protocol import headers
from legato_worker.protocol.topics import jobs_dlt_topic, results_dlt_topic

router = APIRouter(prefix="/dead-letters/topics", tags=["dead letters"])

Which = Literal["jobs", "results"]
MAX_RECORDS = 1000


def _topic(s: Services, which: Which) -> str:
    if which == "results":
        return results_dlt_topic(s.settings.results_topic)
    return jobs_dlt_topic(s.settings.jobs_topic)


def _read_all(s: Services, topic: str) -> list[reader.DeadLetterRecord]:
    try:
        return reader.read_dead_letters(s.settings.kafka_bootstrap_servers, topic)
    except Exception as exc:  # the broker could not answer: say so
        raise ApiError(503, f"Kafka did not answer: {type(exc).__name__}: {exc}") from exc


@router.get(
    "/{which}",
    summary="Records of workflow-jobs.DLT (`jobs`) or workflow-results.DLT (`results`), oldest first",
    description=(
        "Read from Kafka, for records the dead_letters table does not hold (undecodable ones, or "
        "dead before the table existed). `id` is `<partition>-<offset>`; `jobId` the dead job "
        "(null when the record names none)."
    ),
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
) -> dict[str, Any]:
    s = services(request)
    topic = _topic(s, which)
    after = utc(since)
    out = []
    for r in _read_all(s, topic):
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
        out.append(row)
    return {"topic": topic, "records": out[:limit], "more": len(out) > limit}


@router.get(
    "/{which}/{record_id}",
    summary="One DLT record by `<partition>-<offset>`: headers, and the job (or why it is undecodable)",
    responses={404: {"description": "the topic does not hold that record"}},
)
def get_record(request: Request, which: Which, record_id: str) -> dict[str, Any]:
    m = KAFKA_ID.match(record_id)
    if m is None:
        raise ApiError(422, f"{record_id!r} is not a Kafka record id (<partition>-<offset>)")
    s = services(request)
    topic = _topic(s, which)
    try:
        record = reader.read_record(s.settings.kafka_bootstrap_servers, topic, int(m[1]), int(m[2]))
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
    return out


@router.post(
    "/jobs/import",
    summary="Index the dead letters only workflow-jobs.DLT holds into the dead_letters table",
    description=(
        "For jobs dead-lettered before the table existed: each decodable record whose run still "
        "exists and whose job has no row yet gets one, so it can be listed and replayed. Running it "
        "again indexes nothing new."
    ),
)
def import_records(request: Request) -> dict[str, Any]:
    s = services(request)
    topic = _topic(s, "jobs")
    records = _read_all(s, topic)
    with s.pool.connection() as conn:
        added = import_rows(conn, records)
    return {"topic": topic, "read": len(records), "indexed": added}
