"""Cron expressions: parsed once by croniter, walked in wall-clock time, read in the schedule's zone.

croniter walks naive wall-clock times and never sees the zone. Each one is read in the zone with
fold=0, which gives the DST rules: a wall time in a spring-forward gap reads with the offset from
before the gap (02:30 fires at 03:30), a wall time that occurs twice reads as its first occurrence.
The wall times just after a gap then read at or before the shifted ones (03:30 CEST is the instant
02:30 fired at), and a time that is not after the previous fire is dropped: fire times strictly
increase, whatever instant a walk starts from.
"""

import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter

ALIASES = ("@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@midnight", "@annually")
MAX_LENGTH = 256
_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_RANGES = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "day-of-month": (1, 31),
    "month": (1, 12),
    "day-of-week": (0, 7),  # 0 and 7 are Sunday
}
# croniter's H (hashed without a seed: an error) and R (random: each orchestrator would draw its own)
_HASHED_OR_RANDOM = re.compile(r"[hr](\([0-9]+-[0-9]+\))?(/[0-9]+)?", re.IGNORECASE)
_VALUE = re.compile(r"(?<![#/0-9])[0-9]+")  # a field's values, not its steps (*/90) or nth weekdays (1#5)
# A cron fires within any 50 years if it ever does (croniter's search limit; Feb 29 on a given weekday
# comes back within 40): one probe from here finds the ones that never fire ("0 0 30 2 *").
_PROBE = datetime(2000, 1, 1)
_ZERO = timedelta(0)
_LONGEST_JUMP = timedelta(hours=26)  # no UTC offset ever changed by more at once (-12:00 to +14:00)


class CronError(ValueError):
    """A cron expression croniter does not take, or one that never fires (str: why)."""


def parse(text: str) -> "croniter[datetime]":
    """Parse `text` (5 fields, 6 with the seconds first, or an alias); CronError says why not."""
    if len(text) > MAX_LENGTH:
        raise CronError(f"has {len(text)} characters (at most {MAX_LENGTH})")
    fields = text.split()
    if len(fields) == 1 and fields[0].lower() in ALIASES:
        expression = fields[0].lower()
    elif len(fields) in (5, 6):
        expression = " ".join(fields)
        for name, field in zip(_names(fields), fields, strict=True):
            if _HASHED_OR_RANDOM.fullmatch(field):
                raise CronError(f"{text!r}: hashed and random values (H, R) are not supported ({name})")
    else:
        raise CronError(
            f"{text!r} has {len(fields)} fields: a cron has 5 (minute hour day-of-month month "
            f"day-of-week), 6 (second first) or is one of {', '.join(ALIASES[:5])}"
        )
    try:
        cron = croniter(expression, _PROBE, ret_type=datetime, second_at_beginning=True)
    except (ValueError, TypeError, LookupError):  # croniter's errors are ValueErrors; garbage may raise more
        raise CronError(f"{text!r} is not a cron expression ({_diagnose(fields)})") from None
    try:
        copy.copy(cron).get_next(datetime)
    except CroniterBadDateError:
        raise CronError(f"{text!r} never fires (no date matches it)") from None
    return cron


def fire_times(cron: "croniter[datetime]", zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """The fire times strictly after `after` (aware UTC), in order, as aware UTC datetimes."""
    cursor = copy.copy(cron)  # croniter holds its position: one copy per walk, one parse for all
    wall = after.astimezone(zone).replace(tzinfo=None, fold=0)
    gap = _gap_behind(zone, after)
    cursor.set_current(wall - gap, force=True)
    resume = wall if gap else None  # past the gap's wall times, the walk goes on from after's own
    latest = after
    while True:
        try:
            local = cursor.get_next(datetime)
            if resume is not None and _exists(zone, local):
                if local < resume:  # read at or before `after`: skip them
                    cursor.set_current(resume, force=True)
                    local = cursor.get_next(datetime)
                resume = None
            fire = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
        except (CroniterBadDateError, OverflowError):  # none within 50 years, or past year 9999
            return
        if fire > latest:
            latest = fire
            yield fire


def _gap_behind(zone: ZoneInfo, t: datetime) -> timedelta:
    """The length of a spring-forward gap that ended less than that length before `t`, else 0.

    The gap's wall times read before t's wall time, yet fire (shifted) after t: a walk starts that
    much earlier. A walk that starts later than a gap never reads a time at or before one it skipped.
    """
    now = _offset(zone, t)
    jump = now - _offset(zone, t - _LONGEST_JUMP)
    if jump > _ZERO and _offset(zone, t - jump) < now:
        return jump
    return _ZERO


def _exists(zone: ZoneInfo, wall: datetime) -> bool:
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def _offset(zone: ZoneInfo, t: datetime) -> timedelta:
    offset = t.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _names(fields: list[str]) -> tuple[str, ...]:
    return ("second", *_FIELDS) if len(fields) == 6 else _FIELDS


def _diagnose(fields: list[str]) -> str:
    """Which field croniter refused, and why when it is a value out of range."""
    names = _names(fields)
    for i, (name, field) in enumerate(zip(names, fields, strict=True)):
        low, high = _RANGES[name]
        for value in _VALUE.findall(field):
            if not low <= int(value) <= high:
                return f"{name} {int(value)} is out of range {low}-{high}"
        alone = ["*"] * len(fields)
        alone[i] = field
        try:
            croniter(" ".join(alone), _PROBE, second_at_beginning=True)
        except (ValueError, TypeError, LookupError):
            return f"the {name} field {field!r} is not valid"
    return "its day-of-month and day-of-week fields do not combine"
