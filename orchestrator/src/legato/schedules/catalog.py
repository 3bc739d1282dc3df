"""Schedules as the API keeps them: create, replace, delete, read; pause, resume; fire one now;
backfill a time range. Each change takes the schedule's row lock, as the scheduler's tick does."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg_pool import ConnectionPool

from legato.definitions.registry import UnknownWorkflow
from legato.runs.trigger import Triggers
from legato.schedules.calendar import SpecError
from legato.schedules.fire import Fire, Fired, Firing, fire
from legato.schedules.spec import ScheduleSpec, calendar_of, next_due
from legato.store import definitions_sql, schedules_sql
from legato.store.definitions_sql import DefinedRow
from legato.store.rows import fetch_all, fetch_one
from legato.store.schedules_sql import (
    BufferedCountRow,
    FireRow,
    LastFireRow,
    NowRow,
    ScheduleRow,
)

NEXT_SHOWN = 5
RECENT_SHOWN = 20
MAX_BACKFILL = 1000


class ScheduleNotFound(LookupError):
    def __init__(self, schedule_id: str) -> None:
        super().__init__(f"schedule {schedule_id!r} not found")


class ScheduleExists(Exception):
    def __init__(self, schedule_id: str) -> None:
        super().__init__(
            f"schedule {schedule_id!r} exists already (PUT /schedules/{schedule_id} replaces it)"
        )


class BackfillTooLarge(ValueError):
    pass


def _now(pool: ConnectionPool) -> datetime:
    with pool.connection() as conn:
        row = fetch_one(conn, NowRow, schedules_sql.DATABASE_NOW)
    assert row is not None
    return row.now


def _check_workflow(cur: Any, workflow_id: str) -> None:
    row = fetch_one(cur, DefinedRow, definitions_sql.WORKFLOW_DEFINED, (workflow_id,))
    if row is None or not row.defined:
        raise UnknownWorkflow(workflow_id)


def create(pool: ConnectionPool, spec: ScheduleSpec) -> dict[str, Any]:
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        _check_workflow(cur, spec.workflow_id)
        now = fetch_one(cur, NowRow, schedules_sql.DATABASE_NOW)
        assert now is not None
        row = fetch_one(cur, ScheduleRow, schedules_sql.INSERT, spec.columns(now.now))
        if row is None:
            raise ScheduleExists(spec.schedule_id)
    return view(pool, row, recent=False)


def replace(pool: ConnectionPool, spec: ScheduleSpec) -> tuple[dict[str, Any], bool]:
    """PUT: the schedule as given (its next fire time from now); True when it was created."""
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        _check_workflow(cur, spec.workflow_id)
        now = fetch_one(cur, NowRow, schedules_sql.DATABASE_NOW)
        assert now is not None
        columns = spec.columns(now.now)
        created = False
        if fetch_one(cur, ScheduleRow, schedules_sql.LOCK, (spec.schedule_id,)) is None:
            row = fetch_one(cur, ScheduleRow, schedules_sql.INSERT, columns)
            created = True
        else:
            row = fetch_one(cur, ScheduleRow, schedules_sql.REPLACE, columns)
        if row is None:  # created by another request in between
            raise ScheduleExists(spec.schedule_id)
    return view(pool, row, recent=False), created


def delete(pool: ConnectionPool, schedule_id: str) -> None:
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        if fetch_one(cur, ScheduleRow, schedules_sql.LOCK, (schedule_id,)) is None:
            raise ScheduleNotFound(schedule_id)
        cur.execute(schedules_sql.DELETE_FIRES, (schedule_id,))
        cur.execute(schedules_sql.DELETE, (schedule_id,))


def get(pool: ConnectionPool, schedule_id: str) -> dict[str, Any]:
    with pool.connection() as conn:
        row = fetch_one(conn, ScheduleRow, schedules_sql.GET, (schedule_id,))
    if row is None:
        raise ScheduleNotFound(schedule_id)
    return view(pool, row, recent=True)


def list_all(pool: ConnectionPool) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = fetch_all(conn, ScheduleRow, schedules_sql.LIST)
        ids = [r.schedule_id for r in rows]
        last = {r.schedule_id: r for r in fetch_all(conn, LastFireRow, schedules_sql.LAST_FIRES, (ids,))}
        buffered = {
            r.schedule_id: r.buffered
            for r in fetch_all(conn, BufferedCountRow, schedules_sql.BUFFERED_COUNTS, (ids,))
        }
    now = _now(pool)
    return [_json(r, now, last.get(r.schedule_id), buffered.get(r.schedule_id, 0), None) for r in rows]


def set_paused(pool: ConnectionPool, schedule_id: str, paused: bool, note: str | None) -> dict[str, Any]:
    """Pause (with a note), or resume: fire times that passed while paused are not caught up."""
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        row = fetch_one(cur, ScheduleRow, schedules_sql.LOCK, (schedule_id,))
        if row is None:
            raise ScheduleNotFound(schedule_id)
        next_fire, due = row.next_fire_at, row.due_at
        if not paused and row.paused:
            now = fetch_one(cur, NowRow, schedules_sql.DATABASE_NOW)
            assert now is not None
            next_fire, due = next_due(row.schedule_id, calendar_of(row), now.now, row.jitter_s)
        changed = fetch_one(
            cur, ScheduleRow, schedules_sql.SET_PAUSED, (paused, note, next_fire, due, schedule_id)
        )
    assert changed is not None
    return view(pool, changed, recent=False)


def trigger(pool: ConnectionPool, writer: Triggers, schedule_id: str) -> Fired:
    """One fire now (source `manual`), under the schedule's overlap policy."""
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        row = fetch_one(cur, ScheduleRow, schedules_sql.LOCK, (schedule_id,))
        if row is None:
            raise ScheduleNotFound(schedule_id)
        now = fetch_one(cur, NowRow, schedules_sql.DATABASE_NOW)
        assert now is not None
        firing = fire(cur, writer, row, [Fire(now.now, "manual")], row.overlap)
    firing.count()
    if firing.fired:
        return firing.fired[0]
    return Fired(now.now, "manual", "skipped", None, "this fire time was handled already")


@dataclass(frozen=True, slots=True)
class Backfilled:
    fires: int
    outcomes: Counter[str]
    already: int


def backfill(
    pool: ConnectionPool,
    writer: Triggers,
    schedule_id: str,
    start: datetime,
    end: datetime,
    overlap: str | None,
) -> Backfilled:
    """The schedule's fire times in [start, end) (source `backfill`), in order, under `overlap` (the
    schedule's by default). Fire times handled before are left alone."""
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        row = fetch_one(cur, ScheduleRow, schedules_sql.LOCK, (schedule_id,))
        if row is None:
            raise ScheduleNotFound(schedule_id)
        times = calendar_of(row).between(start, end, MAX_BACKFILL + 1)
        if len(times) > MAX_BACKFILL:
            raise BackfillTooLarge(
                f"the range holds more than {MAX_BACKFILL} fire times; backfill it in smaller ranges"
            )
        firing: Firing = fire(cur, writer, row, [Fire(t, "backfill") for t in times], overlap or row.overlap)
    firing.count()
    return Backfilled(len(times), firing.outcomes(), firing.already)


def view(pool: ConnectionPool, row: ScheduleRow, recent: bool) -> dict[str, Any]:
    with pool.connection() as conn:
        fires = fetch_all(conn, FireRow, schedules_sql.RECENT_FIRES, (row.schedule_id, RECENT_SHOWN))
        counted = fetch_all(conn, BufferedCountRow, schedules_sql.BUFFERED_COUNTS, ([row.schedule_id],))
    buffered = counted[0].buffered if counted else 0
    return _json(row, _now(pool), fires[0] if fires else None, buffered, fires if recent else None)


def _json(
    row: ScheduleRow,
    now: datetime,
    last: FireRow | LastFireRow | None,
    buffered: int,
    recent: list[FireRow] | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.schedule_id,
        "workflowId": row.workflow_id,
        "cron": row.cron,
        "every": row.every,
        "timezone": row.timezone,
        "startAt": _iso(row.start_at),
        "endAt": _iso(row.end_at),
        "input": row.input,
        "overlap": row.overlap,
        "catchupWindowSeconds": row.catchup_window_s,
        "jitterSeconds": row.jitter_s,
        "paused": row.paused,
        "note": row.note,
        "createdAt": _iso(row.created_at),
        "updatedAt": _iso(row.updated_at),
        "nextFireTimes": [] if row.paused else [t.isoformat() for t in _upcoming(row, now)],
        "lastFire": None if last is None else _fire(last),
        "missedFires": row.missed,
        "bufferedFires": buffered,
    }
    if recent is not None:
        out["recentFires"] = [_fire(f) for f in recent]
    return out


def _upcoming(row: ScheduleRow, now: datetime) -> list[datetime]:
    """Its next fire times; none for a row whose calendar cannot be evaluated (written by hand, or by
    an older Legato: the ticker puts it off and says why in its log)."""
    try:
        cal = calendar_of(row)
    except SpecError:
        return []
    first = row.next_fire_at
    if first is None:
        return []
    if first > now:
        return [first, *cal.upcoming(first, NEXT_SHOWN - 1)]
    return cal.upcoming(now, NEXT_SHOWN)


def _fire(f: FireRow | LastFireRow) -> dict[str, Any]:
    return {
        "fireTime": f.fire_time.isoformat(),
        "source": f.source,
        "outcome": f.outcome,
        "runId": None if f.run_id is None else str(f.run_id),
        "runStatus": f.run_status,
        "recordedAt": f.recorded_at.isoformat(),
        "message": f.message,
    }


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()
