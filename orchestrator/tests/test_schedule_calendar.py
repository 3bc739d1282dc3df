"""Schedule calendars (legato.schedules.calendar): fire times over DST, anchoring, bounds, bad specs.

The DST cases write out the UTC instants expected. The properties check random 5-field crons in
zones with and without DST against a brute-force reading of the same rules: every wall-clock minute
near t, matched against the cron's fields, read in the zone with fold=0, kept when after the last.
"""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from legato.schedules.calendar import Calendar, SpecError, compile_calendar, jitter_ms, parse_every

pytestmark = pytest.mark.unit

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
ZONES += ["Pacific/Chatham", "America/Santiago", "Europe/London"]
MINUTE = timedelta(minutes=1)
TICK = timedelta(microseconds=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def maybe(text: str | None) -> datetime | None:
    return None if text is None else utc(text)


def cron(expression: str, zone: str = "UTC", start: str | None = None, end: str | None = None) -> Calendar:
    return compile_calendar(expression, None, zone, maybe(start), maybe(end))


def every(text: str, start: str | None = None, end: str | None = None, zone: str = "UTC") -> Calendar:
    return compile_calendar(None, text, zone, maybe(start), maybe(end))


def iso(times: list[datetime]) -> list[str]:
    return [t.strftime("%Y-%m-%dT%H:%M:%S") for t in times]


# ---- DST, written out ----------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ["30 2 * * *", "0 30 2 * * *"])
def test_a_daily_time_in_the_spring_forward_gap_fires_once_shifted_by_the_gap(expression: str) -> None:
    # Paris, 2026-03-29: 02:00 CET -> 03:00 CEST; 02:30 does not exist and fires at 03:30 CEST.
    paris = cron(expression, "Europe/Paris").upcoming(utc("2026-03-27T12:00:00"), 3)
    assert iso(paris) == ["2026-03-28T01:30:00", "2026-03-29T01:30:00", "2026-03-30T00:30:00"]
    # New York, 2026-03-08: 02:00 EST -> 03:00 EDT.
    new_york = cron(expression, "America/New_York").upcoming(utc("2026-03-06T12:00:00"), 3)
    assert iso(new_york) == ["2026-03-07T07:30:00", "2026-03-08T07:30:00", "2026-03-09T06:30:00"]


def test_a_daily_time_in_the_repeated_hour_fires_once_at_its_first_occurrence() -> None:
    # Paris, 2026-10-25: 03:00 CEST -> 02:00 CET; 02:30 CEST (00:30Z), not 02:30 CET (01:30Z).
    paris = cron("30 2 * * *", "Europe/Paris").upcoming(utc("2026-10-23T12:00:00"), 3)
    assert iso(paris) == ["2026-10-24T00:30:00", "2026-10-25T00:30:00", "2026-10-26T01:30:00"]
    # New York, 2026-11-01: 02:00 EDT -> 01:00 EST; 01:30 EDT (05:30Z), not 01:30 EST (06:30Z).
    new_york = cron("30 1 * * *", "America/New_York").upcoming(utc("2026-10-30T12:00:00"), 3)
    assert iso(new_york) == ["2026-10-31T05:30:00", "2026-11-01T05:30:00", "2026-11-02T06:30:00"]
    assert cron("30 1 * * *", "America/New_York").next_after(utc("2026-11-01T05:30:00")) == utc(
        "2026-11-02T06:30:00"
    )


def test_a_quarter_hourly_cron_keeps_real_time_over_the_gap_and_skips_the_repeated_hour() -> None:
    quarterly = cron("*/15 * * * *", "Europe/Paris")
    spring = quarterly.upcoming(utc("2026-03-29T00:40:00"), 7)  # 02:00-02:45 fire as 03:00-03:45 CEST
    assert iso(spring) == [
        "2026-03-29T00:45:00",
        "2026-03-29T01:00:00",
        "2026-03-29T01:15:00",
        "2026-03-29T01:30:00",
        "2026-03-29T01:45:00",
        "2026-03-29T02:00:00",  # 04:00 CEST: 03:00-03:45 CEST were the instants 02:00-02:45 fired at
        "2026-03-29T02:15:00",
    ]
    autumn = quarterly.upcoming(utc("2026-10-25T00:40:00"), 3)  # 02:45 CEST, then 03:00 CET
    assert iso(autumn) == ["2026-10-25T00:45:00", "2026-10-25T02:00:00", "2026-10-25T02:15:00"]


def test_just_after_the_gap_the_shifted_fire_is_still_ahead() -> None:
    # 01:10Z is 03:10 CEST, later than 02:30 on the wall, yet 02:30 fires at 03:30 CEST (01:30Z).
    daily = cron("30 2 * * *", "Europe/Paris")
    assert daily.next_after(utc("2026-03-29T01:10:00")) == utc("2026-03-29T01:30:00")
    assert daily.next_after(utc("2026-03-29T01:30:00")) == utc("2026-03-30T00:30:00")


# ---- cron forms ----------------------------------------------------------------------------------


def test_a_six_field_cron_has_its_seconds_first() -> None:
    assert iso(cron("*/2 * * * * *").upcoming(utc("2026-01-01T00:00:00.5"), 3)) == [
        "2026-01-01T00:00:02",
        "2026-01-01T00:00:04",
        "2026-01-01T00:00:06",
    ]
    assert iso(cron("30 */5 * * * *").upcoming(utc("2026-01-01T00:00:00"), 2)) == [
        "2026-01-01T00:00:30",
        "2026-01-01T00:05:30",
    ]


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("@hourly", "2026-01-01T13:00:00"),
        ("@daily", "2026-01-01T23:00:00"),  # midnight in Paris
        ("@weekly", "2026-01-03T23:00:00"),  # Sunday
        ("@monthly", "2026-01-31T23:00:00"),
        ("@yearly", "2026-12-31T23:00:00"),
    ],
)
def test_aliases(alias: str, expected: str) -> None:
    assert cron(alias, "Europe/Paris").next_after(utc("2026-01-01T12:00:00")) == utc(expected)


def test_start_and_end_bound_a_cron_both_inclusive() -> None:
    hourly = cron("0 * * * *", start="2026-01-01T03:00:00", end="2026-01-01T05:00:00")
    assert iso(hourly.upcoming(utc("2025-01-01T00:00:00"), 9)) == [
        f"2026-01-01T0{h}:00:00" for h in (3, 4, 5)
    ]
    assert hourly.first_at_or_after(utc("2026-01-01T04:00:00")) == utc("2026-01-01T04:00:00")
    assert hourly.next_after(utc("2026-01-01T05:00:00")) is None


# ---- every ---------------------------------------------------------------------------------------


def test_every_is_anchored_at_the_epoch_without_start_at() -> None:
    assert iso(every("15m").upcoming(utc("2026-01-01T00:07:00.5"), 3)) == [
        "2026-01-01T00:15:00",
        "2026-01-01T00:30:00",
        "2026-01-01T00:45:00",
    ]
    # 2026-01-01T00:00:00Z is 1,767,225,600 s after the epoch: 8 s past a multiple of 11 s
    assert every("11s").next_after(utc("2026-01-01T00:00:00")) == utc("2026-01-01T00:00:03")


def test_every_is_anchored_at_start_at_and_ends_at_end_at() -> None:
    quarter = every("15m", start="2026-01-01T00:07:00", end="2026-01-01T00:52:00")
    assert iso(quarter.upcoming(utc("2025-06-01T00:00:00"), 9)) == [
        "2026-01-01T00:07:00",
        "2026-01-01T00:22:00",
        "2026-01-01T00:37:00",
        "2026-01-01T00:52:00",
    ]
    assert quarter.first_at_or_after(utc("2026-01-01T00:07:00")) == utc("2026-01-01T00:07:00")
    assert quarter.next_after(utc("2026-01-01T00:52:00")) is None
    assert quarter.count_between(utc("2026-01-01T00:00:00"), utc("2026-01-02T00:00:00"), 100) == 4
    assert quarter.count_between(utc("2026-01-01T00:07:00"), utc("2026-01-01T00:37:00"), 100) == 2


def test_every_counts_real_time_whatever_the_zone() -> None:
    hourly = every("1h", zone="America/New_York")  # over New York's spring-forward
    fires = hourly.upcoming(utc("2026-03-08T05:00:00"), 4)
    assert iso(fires) == [f"2026-03-08T0{h}:00:00" for h in (6, 7, 8, 9)]


@pytest.mark.parametrize(
    ("text", "ms"),
    [("2s", 2_000), ("90s", 90_000), ("15m", 900_000), ("1h30m", 5_400_000), ("1d", 86_400_000)],
)
def test_parse_every(text: str, ms: int) -> None:
    assert parse_every(text) == ms


def test_count_between_is_capped() -> None:
    assert every("1s").count_between(utc("2026-01-01T00:00:00"), utc("2027-01-01T00:00:00"), 1000) == 1000
    assert cron("* * * * * *").count_between(utc("2026-01-01T00:00:00"), utc("2027-01-01T00:00:00"), 50) == 50
    assert cron("* * * * *").count_between(utc("2026-01-01T00:00:00"), utc("2026-01-01T01:00:00"), 100) == 60


# ---- bad specs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "field", "says"),
    [
        ({"cron": "61 * * * *"}, "cron", "minute 61 is out of range"),
        ({"cron": "* * * *"}, "cron", "has 4 fields"),
        ({"cron": "0 0 * * * * 2030"}, "cron", "has 7 fields"),
        ({"cron": "0 0 30 2 *"}, "cron", "never fires"),
        ({"cron": "R * * * *"}, "cron", "random"),
        ({"cron": "* * * * 1#6"}, "cron", "day-of-week field"),
        ({"cron": "0 0 * * *", "every": "1h"}, "cron", "not both"),
        ({}, "cron", "either cron or every"),
        ({"every": "0s"}, "every", "shorter than 1s"),
        ({"every": "abc"}, "every", "not a duration"),
        ({"every": ""}, "every", "not a duration"),
        ({"every": "367d"}, "every", "longer than 366d"),
        ({"every": "1m1h"}, "every", "not a duration"),
        ({"every": "1h", "timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
        ({"every": "1h", "timezone": "localtime"}, "timezone", "not an IANA time zone"),
        (
            {"every": "1h", "startAt": "2026-02-01T00:00:00", "endAt": "2026-01-01T00:00:00"},
            "endAt",
            "not after",
        ),
        (
            {"every": "1h", "startAt": "2026-01-01T00:00:00", "endAt": "2026-01-01T00:00:00"},
            "endAt",
            "not after",
        ),
    ],
)
def test_bad_specs_name_their_field(spec: dict[str, str], field: str, says: str) -> None:
    start, end = maybe(spec.get("startAt")), maybe(spec.get("endAt"))
    with pytest.raises(SpecError) as caught:
        compile_calendar(spec.get("cron"), spec.get("every"), spec.get("timezone", "UTC"), start, end)
    assert caught.value.field == field
    assert caught.value.message.startswith(f"{field}: ")
    assert says in caught.value.message


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(SpecError, match="startAt"):
        compile_calendar("* * * * *", None, "UTC", datetime(2026, 1, 1), None)
    with pytest.raises(ValueError, match="naive"):
        cron("* * * * *").next_after(datetime(2026, 1, 1))


@given(
    st.text(max_size=40)
    | st.lists(st.sampled_from(["*", "1", "0-5", "*/7", "L", "5W", "2#3", "?", ","])).map(" ".join)
)
@settings(max_examples=150)
def test_any_cron_text_compiles_or_raises_a_spec_error(text: str) -> None:
    try:
        compile_calendar(text, None, "UTC", None, None)
        field = "cron"
    except SpecError as exc:
        field = exc.field
    assert field == "cron"


# ---- jitter --------------------------------------------------------------------------------------


def test_jitter_is_deterministic_and_within_range() -> None:
    fire = utc("2026-01-01T02:00:00")
    assert jitter_ms("nightly-report", fire, 60) == jitter_ms(
        "nightly-report", fire.astimezone(ZoneInfo("Asia/Tokyo")), 60
    )
    assert jitter_ms("nightly-report", fire, 60) == 10_062  # pinned: every orchestrator version agrees
    assert jitter_ms("nightly-report", fire, 0) == 0
    delays = {jitter_ms(f"s{i}", fire + timedelta(minutes=i), 5) for i in range(200)}
    assert all(0 <= d < 5_000 for d in delays)
    assert len(delays) > 150  # spread, not a constant


# ---- properties ----------------------------------------------------------------------------------


@st.composite
def cron_field(
    draw: st.DrawFn, low: int, high: int, stars: int = 1, day: bool = False
) -> tuple[str, frozenset[int]]:
    """A field and the values it stands for, "*" `stars` times as likely as another form (crons that fire
    on a DST night are the interesting ones). Day fields never cover their whole range unless "*"
    (croniter then reads them as restricted and ORs day-of-month with day-of-week)."""
    kind = draw(st.sampled_from(["*"] * stars + ["n", "a-b", "*/n", "a-b/n", "list"]))
    top = high - 1 if day else high  # a-b never spans the whole field
    if kind == "*":
        return "*", frozenset(range(low, high + 1))
    if kind == "n":
        n = draw(st.integers(low, high))
        return str(n), frozenset({n})
    if kind == "list":
        ns = draw(st.lists(st.integers(low, high), min_size=2, max_size=3, unique=True))
        return ",".join(map(str, ns)), frozenset(ns)
    if kind == "*/n":
        step = draw(st.integers(2, max(2, (high - low) // 2)))
        return f"*/{step}", frozenset(range(low, high + 1, step))
    a = draw(st.integers(low, top - 1))
    b = draw(st.integers(a + 1, top))
    step = 1 if kind == "a-b" else draw(st.integers(2, 7))
    return f"{a}-{b}" + ("" if step == 1 else f"/{step}"), frozenset(range(a, b + 1, step))


@st.composite
def crons(draw: st.DrawFn) -> tuple[str, list[frozenset[int]], bool]:
    """(expression, [minutes, hours, days, months, weekdays], whether days and weekdays OR)."""
    fields = [
        draw(cron_field(0, 59)),
        draw(cron_field(0, 23, stars=3)),
        draw(cron_field(1, 31, stars=6, day=True)),
        draw(cron_field(1, 12, stars=6)),
        draw(cron_field(0, 6, stars=6, day=True)),
    ]
    either = fields[2][0] != "*" and fields[4][0] != "*"
    return " ".join(text for text, _ in fields), [values for _, values in fields], either


def matches(fields: list[frozenset[int]], either: bool, wall: datetime) -> bool:
    minutes, hours, days, months, weekdays = fields
    day, weekday = wall.day in days, wall.isoweekday() % 7 in weekdays
    on_day = (day or weekday) if either else (day and weekday)
    return wall.minute in minutes and wall.hour in hours and wall.month in months and on_day


def brute_force(
    fields: list[frozenset[int]], either: bool, zone: ZoneInfo, t: datetime, span: timedelta
) -> list[datetime]:
    """The rules read literally: every wall minute from 3 h before t, fold=0, kept if after the last."""
    wall = (t - timedelta(hours=3)).astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    stop = (t + span).astimezone(zone).replace(tzinfo=None) + timedelta(hours=3)
    latest, fires = datetime.min.replace(tzinfo=UTC), []
    while wall <= stop:
        if matches(fields, either, wall):
            fire = wall.replace(tzinfo=zone).astimezone(UTC)
            if fire > latest:
                latest = fire
                if t < fire <= t + span:
                    fires.append(fire)
        wall += MINUTE
    return fires


def _offset(zone: ZoneInfo, t: datetime) -> timedelta:
    return t.astimezone(zone).utcoffset() or timedelta(0)


def _transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    found, day = [], datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        low, high = day, day + timedelta(days=1)
        if _offset(zone, low) != _offset(zone, high):
            while high - low > MINUTE:
                middle = low + (high - low) / 2
                low, high = (middle, high) if _offset(zone, middle) == _offset(zone, low) else (low, middle)
            found.append(high)
        day += timedelta(days=1)
    return found


TRANSITIONS = [
    (name, t) for name in ZONES for year in (2025, 2026) for t in _transitions(ZoneInfo(name), year)
]
instants = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(lambda t: t.replace(tzinfo=UTC))
near_transitions = st.tuples(
    st.sampled_from(TRANSITIONS), st.integers(-3 * 3600, 3 * 3600) | st.integers(0, 3600)
).map(lambda pair: (pair[0][0], pair[0][1] + timedelta(seconds=pair[1], microseconds=pair[1] % 7 * 1000)))
moments = st.tuples(st.sampled_from(ZONES), instants) | near_transitions


def gap_shifted_from(zone: ZoneInfo, fire: datetime) -> datetime | None:
    """The wall time in a spring-forward gap that fired at `fire`, if one did."""
    before = _offset(zone, fire - timedelta(days=1))
    wall = (fire + before).replace(tzinfo=None)
    exists = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall
    return None if exists or before >= _offset(zone, fire) else wall


def compiled(expression: str, zone: str) -> Calendar | None:
    try:
        return cron(expression, zone)
    except SpecError:
        return None  # never fires ("0 0 31 4 *")


@given(crons(), moments)
@settings(max_examples=120, deadline=None)
def test_cron_fire_times_follow_the_rules(
    spec: tuple[str, list[frozenset[int]], bool], moment: tuple[str, datetime]
) -> None:
    expression, fields, either = spec
    name, t = moment
    zone, calendar = ZoneInfo(name), compiled(expression, name)
    assume(calendar is not None)
    assert calendar is not None
    fires = calendar.upcoming(t, 20)
    assert fires and all(f > t for f in fires)
    assert all(a < b for a, b in pairwise(fires))
    for fire in fires:
        assert fire.microsecond == 0 and fire.second == 0
        wall = fire.astimezone(zone).replace(tzinfo=None)
        shifted = gap_shifted_from(zone, fire)
        assert croniter.match(expression, wall) or (
            shifted is not None and croniter.match(expression, shifted)
        )
    for earlier, later in pairwise([t, *fires]):
        assert calendar.next_after(earlier) == later
        assert calendar.next_after(later - TICK) == later
        assert calendar.first_at_or_after(later) == later
    span = timedelta(hours=8)
    assert calendar.between(t + TICK, t + span + TICK, 10_000) == brute_force(fields, either, zone, t, span)


SPRINGS = [
    (name, t) for name, t in TRANSITIONS if _offset(ZoneInfo(name), t) > _offset(ZoneInfo(name), t - MINUTE)
]


@given(crons(), st.sampled_from(SPRINGS), st.integers(0, 3599))
@settings(max_examples=200, deadline=None)
def test_in_the_hour_after_a_gap_the_gap_times_are_still_ahead(
    spec: tuple[str, list[frozenset[int]], bool], spring: tuple[str, datetime], seconds: int
) -> None:
    # The gap's wall times read before the wall time of t, but fire (shifted) after it.
    expression, fields, either = spec
    name, t = spring[0], spring[1] + timedelta(seconds=seconds)
    calendar = compiled(expression, name)
    assume(calendar is not None)
    assert calendar is not None
    span = timedelta(hours=3)
    assert calendar.between(t + TICK, t + span + TICK, 10_000) == brute_force(
        fields, either, ZoneInfo(name), t, span
    )


calendars = st.one_of(
    st.builds(lambda c, z: compiled(c[0], z), crons(), st.sampled_from(ZONES)).filter(
        lambda c: c is not None
    ),
    st.builds(lambda s: every(f"{s}s"), st.integers(1, 7200)),
    st.builds(
        lambda s, start: compile_calendar(None, f"{s}s", "UTC", start, None), st.integers(1, 7200), instants
    ),
)


@given(st.integers(1, 100_000), st.one_of(st.none(), instants), instants)
@settings(max_examples=100, deadline=None)
def test_every_fires_on_its_anchor_at_its_interval(seconds: int, start: datetime | None, t: datetime) -> None:
    calendar = compile_calendar(None, f"{seconds}s", "Europe/Paris", start, None)
    anchor, interval = start or datetime(1970, 1, 1, tzinfo=UTC), timedelta(seconds=seconds)
    fires = calendar.upcoming(t, 10)
    assert len(fires) == 10 and fires[0] > t and (start is None or fires[0] >= start)
    assert all((f - anchor) % interval == timedelta(0) for f in fires)
    assert all(b - a == interval for a, b in pairwise(fires))
    assert fires[0] - interval <= max(t, start or t)  # none skipped
    assert calendar.first_at_or_after(fires[3]) == fires[3]


@given(calendars, instants, st.integers(0, 6 * 3600), st.integers(0, 50))
@settings(max_examples=80, deadline=None)
def test_count_between_agrees_with_between(
    calendar: Calendar, start: datetime, seconds: int, cap: int
) -> None:
    end = start + timedelta(seconds=seconds)
    fires = calendar.between(start, end, 100_000)
    assert calendar.count_between(start, end, 100_000) == len(fires)
    assert calendar.count_between(start, end, cap) == min(cap, len(fires))
    assert all(start <= f < end for f in fires)
