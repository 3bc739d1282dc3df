"""What workers report about attempts before their results (protocol v2 Progress records).

Applied set-based, in the batch's transaction and before its results (so details a worker flushed
just before failing are there for the retry): STARTED and HEARTBEAT records move a live attempt's
deadline on and keep its latest details; progress on an attempt that is no longer wanted withdraws
it again; a SKIPPED record whose start-by time passed expires the attempt at once.
"""

import uuid
from typing import Any

import orjson
import psycopg

from legato.definitions.limits import MAX_TIMEOUT_S
from legato.engine.model import Event
from legato.payloads import InvalidValue, JsonLimits, clean_text, parse_checked
from legato.store import attempts_sql
from legato_worker.protocol import Progress

Cursor = psycopg.Cursor[Any]

MAX_DETAILS_BYTES = 65536  # what every SDK accepts from heartbeat(details)
MAX_WORKER_ID = 200
# How long ago a worker may say an attempt started: the longest startToCloseSeconds. A worker's
# clock readings are bounded here, where they enter, so no value can overflow the SQL's intervals.
MAX_ELAPSED_MS = int(MAX_TIMEOUT_S * 1000)


def elapsed_ms(started_at: int, at: int) -> int:
    """`at - started_at` as the worker measured it, within [0, MAX_ELAPSED_MS]."""
    return min(max(0, at - started_at), MAX_ELAPSED_MS)


def _details(text: str | None, limits: JsonLimits) -> str | None:
    """Details PostgreSQL can store and a retry can resume from; anything else is dropped."""
    if text is None:
        return None
    try:
        parse_checked(text, JsonLimits(min(limits.max_bytes, MAX_DETAILS_BYTES), limits.max_depth), "details")
    except InvalidValue:
        return None
    return text


def apply_progress(cur: Cursor, records: list[Progress], limits: JsonLimits) -> list[Event]:
    """Apply a batch's progress records; returns the events they make (an attempt started)."""
    alive: dict[uuid.UUID, Progress] = {}  # the latest record per attempt wins
    details: dict[uuid.UUID, str] = {}
    started: dict[uuid.UUID, Progress] = {}
    skipped: list[uuid.UUID] = []
    for p in records:
        try:
            job_id = uuid.UUID(p["jobId"])
        except ValueError:
            continue  # not one of ours
        if p["kind"] == "SKIPPED":
            if p.get("reason") == "DeadlinePassed":
                skipped.append(job_id)
            continue
        alive[job_id] = p
        d = _details(p.get("details"), limits)
        if d is not None:
            details[job_id] = d
        if p["kind"] == "STARTED":
            started[job_id] = p
    events: list[Event] = []
    if alive:
        ids = list(alive)
        cur.execute(
            attempts_sql.APPLY_PROGRESS,
            (
                ids,
                [details.get(i) for i in ids],
                [elapsed_ms(alive[i]["startedAt"], alive[i]["at"]) for i in ids],
                [clean_text(alive[i]["workerId"], MAX_WORKER_ID) for i in ids],
            ),
        )
        live = set()
        for job_id, run_id, step_id, attempt, item in cur.fetchall():
            live.add(job_id)
            if job_id in started:
                worker = clean_text(started[job_id]["workerId"], MAX_WORKER_ID)
                data: dict[str, Any] = {"jobId": str(job_id), "workerId": worker}
                if item is not None:
                    data["item"] = item
                events.append(Event(run_id, "ATTEMPT_STARTED", step_id, attempt, orjson.dumps(data).decode()))
        unwanted = [i for i in ids if i not in live]
        if unwanted:
            cur.execute(attempts_sql.WITHDRAW_UNWANTED, (unwanted,))
    if skipped:
        cur.execute(attempts_sql.EXPIRE_SKIPPED, (skipped,))
    return events
