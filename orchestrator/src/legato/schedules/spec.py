"""A schedule as written (`ScheduleSpec`), its calendar, and when its next fire time is due."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from legato.schedules.calendar import Calendar, compile_calendar, jitter_ms
from legato.store.schedules_sql import ScheduleRow

SCHEDULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")
MIN_CATCHUP_WINDOW_S = 10
DEFAULT_CATCHUP_WINDOW_S = 3600


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    schedule_id: str
    workflow_id: str
    cron: str | None
    every: str | None
    timezone: str
    start_at: datetime | None
    end_at: datetime | None
    input: str  # JSON text, checked
    overlap: str
    catchup_window_s: int
    jitter_s: int
    paused: bool
    note: str | None

    def calendar(self) -> Calendar:
        """Raises calendar.SpecError (its field and what is wrong) for a bad cron, every or zone."""
        return calendar(self.cron, self.every, self.timezone, self.start_at, self.end_at)

    def columns(self, now: datetime) -> dict[str, Any]:
        """The row's columns (schedules_sql.INSERT / REPLACE): the first fire time after `now`."""
        next_fire, due = next_due(self.schedule_id, self.calendar(), now, self.jitter_s)
        return {
            "schedule_id": self.schedule_id,
            "workflow_id": self.workflow_id,
            "cron": self.cron,
            "every": self.every,
            "timezone": self.timezone,
            "start_at": self.start_at,
            "end_at": self.end_at,
            "input": self.input,
            "overlap": self.overlap,
            "catchup_window_s": self.catchup_window_s,
            "jitter_s": self.jitter_s,
            "paused": self.paused,
            "note": self.note,
            "next_fire_at": next_fire,
            "due_at": due,
        }


@lru_cache(maxsize=1024)
def calendar(
    cron: str | None, every: str | None, timezone: str, start_at: datetime | None, end_at: datetime | None
) -> Calendar:
    return compile_calendar(cron, every, timezone, start_at, end_at)


def calendar_of(row: ScheduleRow) -> Calendar:
    return calendar(row.cron, row.every, row.timezone, row.start_at, row.end_at)


def due_at(schedule_id: str, fire_time: datetime | None, jitter_s: int) -> datetime | None:
    """When the scheduler takes `fire_time`: the fire time plus the schedule's (deterministic) jitter."""
    if fire_time is None:
        return None
    return fire_time + timedelta(milliseconds=jitter_ms(schedule_id, fire_time, jitter_s))


def next_due(
    schedule_id: str, cal: Calendar, after: datetime, jitter_s: int
) -> tuple[datetime | None, datetime | None]:
    """The first fire time after `after`, and when it is due."""
    fire_time = cal.next_after(after)
    return fire_time, due_at(schedule_id, fire_time, jitter_s)
