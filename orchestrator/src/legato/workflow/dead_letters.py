"""Dead-lettering jobs: their workflow-jobs.DLT records and `dead_letters` rows, in one transaction.

The order of effects (docs/architecture.md): the rows commit with the batch that dead-letters the
jobs, each holding its DLT record until Kafka has acknowledged it (the dead-letter outbox); the
engine publishes the records right after that commit and waits for their acknowledgement before
it publishes the batch's new jobs and commits the results' offsets. A crash or an outage between
the two leaves the records in their rows, and the engine's housekeeping publishes them once their
grace (store.dlt_sql.RECORD_GRACE) has passed. A dead letter is never lost; after a crash it may be published
twice.
"""

import time
from datetime import datetime
from typing import Any

import psycopg

from legato.kafka.clients import MAX_MESSAGE_BYTES
from legato.kafka.confirmed import Record
from legato.payloads import clean_text, configured
from legato.store import dlt_sql, engine_sql
from legato.store.engine_sql import FirstFailureRow
from legato.store.rows import fetch_one
from legato.workflow.dead_letter_rows import PAYLOAD_OMITTED, dead_letter_rows
from legato.workflow.model import DeadLetter, Plan
from legato_protocol import Job, encode_job, headers
from legato_protocol.topics import job_topic, jobs_dlt_topic

MAX_DLT_PAYLOAD = MAX_MESSAGE_BYTES - 48 * 1024  # room for the envelope and the headers


def _ms(at: datetime | None) -> bytes:
    return str(int(at.timestamp() * 1000) if at else int(time.time() * 1000)).encode()


def dead_letter(cur: psycopg.Cursor[Any], plan: Plan, jobs_prefix: str) -> list[Record]:
    """Write the `dead_letters` rows of `plan`'s dead jobs, each with its pending DLT record, inside
    the caller's transaction; returns the records, for the caller to publish once it has committed."""
    if not plan.dead_letters:
        return []
    records = []
    for dl in plan.dead_letters:
        found = fetch_one(
            cur, FirstFailureRow, engine_sql.FIRST_FAILURE_AT, (dl.claimed.run_id, dl.claimed.step_id)
        )
        first_failure = found.first_failure_at if found else None
        records.append(job_dead_letter(dl, jobs_prefix, jobs_dlt_topic(jobs_prefix), first_failure))
    cur.execute(dlt_sql.INSERT_DEAD_LETTERS, dead_letter_rows(plan.dead_letters, records))
    return records


def job_dead_letter(
    dl: DeadLetter, jobs_prefix: str, dlt_topic: str, first_failure_at: datetime | None
) -> Record:
    c = dl.claimed
    now = int(time.time() * 1000)
    topic = job_topic(jobs_prefix, c.action)
    payload = c.payload
    # A job Kafka refused as too large would be refused again as a dead letter: keep its size only.
    omitted = len(payload.encode()) > min(configured().max_bytes, MAX_DLT_PAYLOAD)
    if omitted:
        payload = f'{{"legatoPayloadOmitted": true, "chars": {len(c.payload)}}}'
    job: Job = {
        "jobId": str(c.job_id),
        "runId": str(c.run_id),
        "stepId": c.step_id,
        "attempt": c.attempt,
        "action": c.action,
        "payload": payload,
        "workflowId": c.workflow_id,
        "workflowVersion": c.version,
        "queue": topic,
        "traceparent": None,
        "correlationId": c.correlation_id,
        "createdAt": now,
        "deadlineAt": None,
    }
    hdrs: list[tuple[str, str | bytes | None]] = [
        (headers.DLT_REASON, dl.reason.encode()),
        (headers.ERROR_TYPE, dl.error_type.encode()),
        (headers.ERROR_MESSAGE, clean_text(dl.error_message, 1024).encode()),
        (headers.RUN_ID, str(c.run_id).encode()),
        (headers.STEP_ID, c.step_id.encode()),
        (headers.JOB_ID, str(c.job_id).encode()),
        (headers.WORKFLOW_ID, c.workflow_id.encode()),
        (headers.WORKFLOW_VERSION, str(c.version).encode()),
        (headers.ACTION, c.action.encode()),
        (headers.ATTEMPTS, str(c.attempt).encode()),
        (headers.FIRST_FAILURE_AT, _ms(first_failure_at)),
        (headers.FAILED_AT, str(now).encode()),
        (headers.SOURCE_TOPIC, topic.encode()),
    ]
    if omitted:
        hdrs.append((PAYLOAD_OMITTED, b"true"))
    if c.partition is not None:
        hdrs.append((headers.SOURCE_PARTITION, str(c.partition).encode()))
    if c.offset is not None:
        hdrs.append((headers.SOURCE_OFFSET, str(c.offset).encode()))
    return Record(dlt_topic, str(c.run_id).encode(), encode_job(job), hdrs)
