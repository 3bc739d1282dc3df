"""The scheduler: every orchestrator's intake process ticks it; a schedule's row lock makes each fire
time handled once, whichever orchestrator takes it.

A tick takes the schedules that are due (by the database's clock), one transaction each:
- the fire times from `next_fire_at` up to now are fired (schedules.fire), at most
  MAX_FIRES_PER_TICK (a long catch-up goes on next tick);
- fire times older than the catch-up window (no orchestrator ran then) are skipped, and counted in
  the schedule's `missed`; those inside it are fired with source `catchup` when they are more than
  LATE_S late;
- `next_fire_at` moves past what was fired, in the same transaction: a crash before the commit
  leaves everything to be done again, a crash after it leaves nothing, and the `schedule_fires`
  key stops a fire time that was handled from starting a second run either way.
"""

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from legato import metrics
from legato.faults import is_outage
from legato.runs.trigger import Triggers
from legato.schedules.fire import Fire, Firing, fire
from legato.schedules.spec import calendar_of, due_at
from legato.store import schedules_sql
from legato.store.rows import fetch_one
from legato.store.schedules_sql import NowRow, ScheduleRow

log = logging.getLogger(__name__)

TICK_S = 0.25
MAX_SCHEDULES_PER_TICK = 100
MAX_FIRES_PER_TICK = 100
MISSED_COUNT_CAP = 1_000_000  # missed fire times are counted up to this many at once
RETRY_S = 30.0  # a schedule whose firing failed is tried again after this long
LATE_S = 2.0  # a fire time taken later than this was missed (no orchestrator ran): `catchup`


class ScheduleTicker:
    def __init__(self, pool: ConnectionPool, writer: Triggers, stop: threading.Event) -> None:
        self.pool = pool
        self.writer = writer
        self.stop = stop

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # an outage, or a schedule that cannot be fired: next tick
                (log.warning if is_outage(exc) else log.exception)("schedule tick failed: %r", exc)
            self.stop.wait(TICK_S)

    def tick(self) -> int:
        """Fire what is due; answers how many schedules were handled."""
        handled: list[str] = []
        while len(handled) < MAX_SCHEDULES_PER_TICK and not self.stop.is_set():
            try:
                with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                    row = fetch_one(cur, ScheduleRow, schedules_sql.LOCK_DUE, (handled,))
                    if row is None:
                        break
                    handled.append(row.schedule_id)
                    firing, missed = self._fire_due(cur, row)
            except Exception as exc:
                if is_outage(exc) or not handled:
                    raise
                self._defer(handled[-1], exc)  # this schedule only: the others are fired on
                continue
            firing.count()
            if missed:
                metrics.SCHEDULE_MISSED.inc(missed)
                log.warning(
                    "schedule %s: %d fire time(s) older than its catch-up window skipped",
                    row.schedule_id,
                    missed,
                )
        return len(handled)

    def _defer(self, schedule_id: str, exc: Exception) -> None:
        """A schedule that could not be fired (nothing of it committed) is tried again in RETRY_S,
        from the same fire time: it neither blocks the other schedules nor loses its fire times."""
        log.error("schedule %s could not be fired (tried again in %.0f s): %r", schedule_id, RETRY_S, exc)
        with self.pool.connection() as conn:
            conn.execute(schedules_sql.DEFER, (RETRY_S, schedule_id))

    def _fire_due(self, cur: psycopg.Cursor[Any], row: ScheduleRow) -> tuple[Firing, int]:
        clock = fetch_one(cur, NowRow, schedules_sql.DATABASE_NOW)
        now = clock.now if clock is not None else datetime.now().astimezone()
        cal = calendar_of(row)
        fire_time = row.next_fire_at
        missed = 0
        window_start = now - timedelta(seconds=row.catchup_window_s)
        if fire_time is not None and fire_time < window_start:
            missed = cal.count_between(fire_time, window_start, MISSED_COUNT_CAP)
            fire_time = cal.first_at_or_after(window_start)
        fires: list[Fire] = []
        while fire_time is not None and len(fires) < MAX_FIRES_PER_TICK:
            due = due_at(row.schedule_id, fire_time, row.jitter_s)
            if due is None or due > now:
                break
            late = (now - due).total_seconds() > LATE_S
            fires.append(Fire(fire_time, "catchup" if late else "schedule"))
            fire_time = cal.next_after(fire_time)
        firing = fire(cur, self.writer, row, fires, row.overlap)
        cur.execute(
            schedules_sql.ADVANCE,
            (fire_time, due_at(row.schedule_id, fire_time, row.jitter_s), missed, row.schedule_id),
        )
        return firing, missed
