"""`legato dlt import`: index dead letters only the workflow-jobs.DLT topic holds (jobs
dead-lettered before the `dead_letters` table existed), so they can be listed and replayed."""

import uuid
from collections.abc import Sequence
from typing import Any

import orjson
import psycopg

from legato.dlt.reader import DeadLetterRecord
from legato.payloads import clean_text
from legato.store import dlt_sql
from legato.workflow.dead_letter_rows import PAYLOAD_OMITTED
from legato_protocol import headers

MAX_ERROR_MESSAGE = 4096


def import_rows(conn: psycopg.Connection[Any], records: Sequence[DeadLetterRecord]) -> int:
    """Insert a row for every decodable record whose run still exists and whose job has none
    yet; return how many were inserted. Undecodable records name no job and are skipped."""
    cols: tuple[list[Any], ...] = tuple([] for _ in range(14))
    seen: set[uuid.UUID] = set()
    for r in records:
        job = r.job
        if job is None or r.job_id is None or r.job_id in seen:
            continue  # undecodable, or a duplicate DLT record of the same dead job
        seen.add(r.job_id)
        hdrs = {k: v for k, v in r.headers.items() if k.startswith("legato-")}
        values = (
            r.job_id,
            uuid.UUID(job["runId"]),
            job["stepId"],
            job["workflowId"],
            job["workflowVersion"],
            job["action"],
            job["attempt"],
            r.get(headers.DLT_REASON),
            r.get(headers.ERROR_TYPE),
            clean_text(r.get(headers.ERROR_MESSAGE), MAX_ERROR_MESSAGE),
            None if hdrs.get(PAYLOAD_OMITTED) == "true" else job["payload"],
            orjson.dumps(hdrs).decode(),
            job["correlationId"],
            r.failed_at,
        )
        for col, value in zip(cols, values, strict=True):
            col.append(value)
    if not seen:
        return 0
    with conn.transaction():
        cur = conn.execute(dlt_sql.IMPORT, cols)
        return cur.rowcount
