"""What workers report about attempts before their results (protocol v2 Progress records).

Applied set-based, in the batch's transaction and before its results (so details a worker flushed
just before failing are there for the retry): STARTED and HEARTBEAT records move a live attempt's
deadline on and keep its latest details; progress on an attempt that is no longer wanted withdraws
it again; a SKIPPED record whose start-by time passed expires the attempt at once (one whose
start-by time has not passed by the database's clock tells of a worker clock ahead: counted, not
expired); a late STARTED of an attempt that expired in its queue wins over a copy not started yet.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg

from legato.definitions.limits import MAX_TIMEOUT_S
from legato.payloads import InvalidValue, JsonLimits, clean_text, parse_checked
from legato.store import attempts_sql
from legato.store.attempts_sql import ProgressRow, RevivedRow, SkippedRow
from legato.store.rows import fetch_all
from legato.workflow.model import Event
from legato.workflow.outcomes import Outcomes
from legato_protocol import Progress

Cursor = psycopg.Cursor[Any]

MAX_DETAILS_BYTES = 65536  # what every SDK accepts from heartbeat(details)
MAX_WORKER_ID = 200
# How long ago a worker may say an attempt started: the longest startToCloseSeconds. A worker's
# clock readings are bounded here, where they enter, so no value can overflow the SQL's intervals.
MAX_ELAPSED_MS = int(MAX_TIMEOUT_S * 1000)
SKEW_WARN_EVERY_S = 60.0  # a skewed worker skips every attempt: one warning a minute says so

log = logging.getLogger(__name__)
_warned_at = -SKEW_WARN_EVERY_S


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


@dataclass(frozen=True, slots=True)
class Reported:
    """A progress record and when it was written (its Kafka record's timestamp, epoch ms)."""

    record: Progress
    sent_ms: int | None = None


@dataclass(frozen=True, slots=True)
class RanAnyway:
    """An attempt known to have run: a result for it could not be applied (it went to the results
    DLT), but it says when its worker started and finished. Not a worker's record: the engine's own
    fact, recorded like a heartbeat so the attempt's startToClose deadline runs and its retry policy
    decides what follows."""

    job_id: uuid.UUID
    worker_id: str
    started_at: int
    at: int


def apply_progress(
    cur: Cursor, reports: list[Reported], limits: JsonLimits, outcomes: Outcomes | None = None
) -> list[Event]:
    """Apply a batch's progress records; returns the events they make (an attempt started).
    Skips by workers whose clock is ahead are counted in `outcomes`."""
    alive: dict[uuid.UUID, Reported] = {}  # the latest record per attempt wins
    details: dict[uuid.UUID, str] = {}
    started: dict[uuid.UUID, Progress] = {}
    skipped: dict[uuid.UUID, Progress] = {}
    for reported in reports:
        p = reported.record
        try:
            job_id = uuid.UUID(p["jobId"])
        except ValueError:
            continue  # not one of ours
        if p["kind"] == "SKIPPED":
            if p.get("reason") == "DeadlinePassed":
                skipped[job_id] = p
            continue
        alive[job_id] = reported
        d = _details(p.get("details"), limits)
        if d is not None:
            details[job_id] = d
        if p["kind"] == "STARTED":
            started[job_id] = p
    events: list[Event] = []
    if alive:
        live = _apply(cur, alive, details, started, events)
        unwanted = [i for i in alive if i not in live]
        late = [i for i in unwanted if i in started]
        if late:  # a start after the start-by time: it wins if its replacement has not started
            revived = {r.job_id for r in fetch_all(cur, RevivedRow, attempts_sql.REVIVE_LATE_STARTS, (late,))}
            if revived:
                live |= _apply(cur, {i: alive[i] for i in revived}, details, started, events)
                unwanted = [i for i in unwanted if i not in revived]
        if unwanted:
            cur.execute(attempts_sql.WITHDRAW_UNWANTED, (unwanted,))
    if skipped:
        rows = fetch_all(cur, SkippedRow, attempts_sql.EXPIRE_SKIPPED, (list(skipped),))
        ahead = [(skipped[r.job_id], r.ahead_ms) for r in rows if r.ahead_ms is not None]
        if ahead:
            _clock_ahead(ahead)
            if outcomes is not None:
                outcomes.clock_ahead += len(ahead)
    return events


def record_ran(cur: Cursor, ran: RanAnyway) -> None:
    """Record that `ran`'s attempt ran, as a heartbeat would; an attempt no longer wanted is
    withdrawn again. The caller has locked its run."""
    live = fetch_all(
        cur,
        ProgressRow,
        attempts_sql.APPLY_PROGRESS,
        (
            [ran.job_id],
            [None],
            [elapsed_ms(ran.started_at, ran.at)],
            [clean_text(ran.worker_id, MAX_WORKER_ID)],
            [None],
        ),
    )
    if not live:
        cur.execute(attempts_sql.WITHDRAW_UNWANTED, ([ran.job_id],))


def _apply(
    cur: Cursor,
    alive: dict[uuid.UUID, Reported],
    details: dict[uuid.UUID, str],
    started: dict[uuid.UUID, Progress],
    events: list[Event],
) -> set[uuid.UUID]:
    """Record the progress of the attempts still wanted; returns them."""
    ids = list(alive)
    records = [alive[i].record for i in ids]
    rows = fetch_all(
        cur,
        ProgressRow,
        attempts_sql.APPLY_PROGRESS,
        (
            ids,
            [details.get(i) for i in ids],
            [elapsed_ms(p["startedAt"], p["at"]) for p in records],
            [clean_text(p["workerId"], MAX_WORKER_ID) for p in records],
            [alive[i].sent_ms for i in ids],
        ),
    )
    live = set()
    for r in rows:
        live.add(r.job_id)
        if r.job_id in started:
            worker = clean_text(started[r.job_id]["workerId"], MAX_WORKER_ID)
            data: dict[str, Any] = {"jobId": str(r.job_id), "workerId": worker}
            if r.item_index is not None:
                data["item"] = r.item_index
            events.append(
                Event(r.run_id, "ATTEMPT_STARTED", r.step_id, r.attempt, orjson.dumps(data).decode())
            )
    return live


def _clock_ahead(ahead: list[tuple[Progress, int]]) -> None:
    """Workers skipped attempts whose start-by time has not passed by the database's clock: their
    clocks are ahead. Logged here and counted by the caller (the attempt keeps its deadline: no
    expiry, no requeue)."""
    now = time.monotonic()
    global _warned_at
    if now - _warned_at < SKEW_WARN_EVERY_S:
        return
    _warned_at = now
    record, ms = max(ahead, key=lambda a: a[1])
    log.warning(
        "worker %s skipped attempt %s as past its start-by time %d ms before that time by the "
        "database's clock: its clock is ahead by %d ms at least (%d such skip(s) in this batch); fix "
        "the worker's clock (NTP), or it skips every attempt with scheduleToStartSeconds under that",
        clean_text(record["workerId"], MAX_WORKER_ID),
        record["jobId"],
        ms,
        ms,
        len(ahead),
    )
