"""A schedule's calendar: the instants it fires at, a pure function of its spec.

- cron: 5 fields (minute precision), 6 with the seconds first ("*/2 * * * * *": every 2 s), or
  @hourly, @daily, @weekly, @monthly, @yearly. Its times are wall-clock times in `timezone`. Over
  DST (_cron.py): a wall time that does not exist fires once, shifted forward by the gap (02:30 on
  the spring-forward night in Paris fires at 03:30 CEST); one that occurs twice fires once, at its
  first occurrence; fire times strictly increase (a time that reads at or before the previous fire,
  as 03:30 CEST after the shifted 02:30 does, is dropped).
- every: real elapsed time; the zone plays no part. Fire times are anchor + k * interval, the anchor
  being startAt, else the Unix epoch: "15m" fires at :00, :15, :30 and :45 UTC, in every orchestrator.
- startAt and endAt bound the fire times, both inclusive.

Datetimes in are aware (any zone); out, aware UTC. A cron fires on whole seconds, `every` on the
anchor plus whole intervals. Each walk copies the parsed cron; nothing is parsed after compile_calendar.
"""

import hashlib
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

from croniter import croniter

from legato.schedules import _cron

MIN_EVERY_MS = 1_000
MAX_EVERY_MS = 366 * 86_400_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)
_DURATION = re.compile(r"(?:([0-9]{1,9})d)?(?:([0-9]{1,9})h)?(?:([0-9]{1,9})m)?(?:([0-9]{1,9})s)?")


class SpecError(ValueError):
    """A schedule spec that cannot make a calendar: `field` names the spec field, `message` says why."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.message = f"{field}: {problem}"
        super().__init__(self.message)


def parse_every(text: str) -> int:
    """An interval in milliseconds: "90s", "15m", "1h30m", "1d" (units d h m s, largest first)."""
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise SpecError("every", f"{text!r} is not a duration (like 90s, 15m, 1h30m or 1d)")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    ms = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000
    if ms < MIN_EVERY_MS:
        raise SpecError("every", f"{text!r} is shorter than 1s")
    if ms > MAX_EVERY_MS:
        raise SpecError("every", f"{text!r} is longer than 366d")
    return ms


@dataclass(frozen=True, slots=True)
class _Cron:
    parsed: "croniter[datetime]"  # croniter is generic only in its stubs
    zone: ZoneInfo

    def after(self, t: datetime) -> Iterator[datetime]:
        return _cron.fire_times(self.parsed, self.zone, t)


@dataclass(frozen=True, slots=True)
class _Every:
    anchor: datetime
    interval: timedelta

    def after(self, t: datetime) -> Iterator[datetime]:
        k = (t - self.anchor) // self.interval + 1
        try:
            while True:
                yield self.anchor + k * self.interval
                k += 1
        except OverflowError:  # past year 9999
            return

    def count(self, first: datetime, last: datetime) -> int:
        """How many fire times lie in [first, last], by arithmetic."""
        low = -((self.anchor - first) // self.interval)  # the first k with anchor + k * interval >= first
        high = (last - self.anchor) // self.interval
        return max(0, high - low + 1)


@dataclass(frozen=True, slots=True)
class Calendar:
    cron: str | None
    every_ms: int | None
    timezone: str
    start_at: datetime | None  # UTC
    end_at: datetime | None  # UTC
    rule: _Cron | _Every = field(repr=False, compare=False)

    def next_after(self, t: datetime) -> datetime | None:
        """The first fire time strictly after `t`; None when there is none (past endAt)."""
        return next(self._after(_utc(t)), None)

    def first_at_or_after(self, t: datetime) -> datetime | None:
        return next(self._after(_utc(t) - _TICK), None)

    def upcoming(self, t: datetime, n: int) -> list[datetime]:
        """The next `n` fire times strictly after `t` (fewer past endAt)."""
        return list(islice(self._after(_utc(t)), max(n, 0)))

    def between(self, start: datetime, end: datetime, limit: int) -> list[datetime]:
        """The fire times in [start, end), at most `limit` of them."""
        return list(islice(self._before(self._after(_utc(start) - _TICK), _utc(end)), max(limit, 0)))

    def count_between(self, start: datetime, end: datetime, cap: int) -> int:
        """How many fire times lie in [start, end), up to `cap` (`every`: arithmetic, O(1))."""
        start, end = _utc(start), _utc(end)
        if not isinstance(self.rule, _Every):
            return sum(1 for _ in islice(self._before(self._after(start - _TICK), end), max(cap, 0)))
        first = start if self.start_at is None else max(start, self.start_at)
        last = end - _TICK if self.end_at is None else min(end - _TICK, self.end_at)
        if last < first:
            return 0
        return max(0, min(self.rule.count(first, last), cap))

    def _after(self, t: datetime) -> Iterator[datetime]:
        if self.start_at is not None and t < self.start_at:
            t = self.start_at - _TICK
        for fire in self.rule.after(t):
            if self.end_at is not None and fire > self.end_at:
                return
            yield fire

    @staticmethod
    def _before(fires: Iterable[datetime], end: datetime) -> Iterator[datetime]:
        return takewhile(lambda fire: fire < end, fires)


def compile_calendar(
    cron: str | None, every: str | None, timezone: str, start_at: datetime | None, end_at: datetime | None
) -> Calendar:
    """The calendar of a spec, validated: SpecError names the field at fault."""
    if (cron is None) == (every is None):
        raise SpecError(
            "cron", "give either cron or every" if cron is None else "give cron or every, not both"
        )
    zone = _zone(timezone)
    start, end = _bound("startAt", start_at), _bound("endAt", end_at)
    if start is not None and end is not None and end <= start:
        raise SpecError("endAt", f"{end.isoformat()} is not after startAt ({start.isoformat()})")
    rule: _Cron | _Every
    if cron is not None:
        try:
            rule = _Cron(_cron.parse(cron), zone)
        except _cron.CronError as exc:
            raise SpecError("cron", str(exc)) from None
        every_ms = None
    else:
        assert every is not None
        every_ms = parse_every(every)
        rule = _Every(EPOCH if start is None else start, timedelta(milliseconds=every_ms))
    return Calendar(cron, every_ms, timezone, start, end, rule)


def jitter_ms(schedule_id: str, fire_time: datetime, jitter_seconds: int) -> int:
    """A delay in [0, jitter_seconds * 1000) ms, the same in every orchestrator for one fire (0 for 0 s)."""
    if jitter_seconds <= 0:
        return 0
    at_us = (_utc(fire_time) - EPOCH) // _TICK
    digest = hashlib.blake2b(f"{schedule_id}\x00{at_us}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (jitter_seconds * 1000)


def _utc(t: datetime) -> datetime:
    if t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()}: calendars take aware ones")
    return t.astimezone(UTC)


def _bound(name: str, t: datetime | None) -> datetime | None:
    if t is not None and t.utcoffset() is None:
        raise SpecError(name, f"{t.isoformat()} has no UTC offset")
    return None if t is None else t.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    if name in _zone_names():
        try:
            return ZoneInfo(name)
        except (ValueError, OSError, LookupError):  # a name listed without a readable zone file
            pass
    raise SpecError("timezone", f"{name!r} is not an IANA time zone (like UTC or Europe/Paris)")


@cache
def _zone_names() -> frozenset[str]:
    """The IANA names (read once: listing them walks the zone files), not the host's `localtime`."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "posixrules"})
