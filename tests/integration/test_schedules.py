"""Schedules: fire times become runs, once each, under the overlap policy (real PostgreSQL, Kafka).

The workflows here wait for a signal, so a schedule's run stays open until the test ends it: the
overlap policies are seen with no worker and no timing. Fire times come from `trigger` (one fire
now) and `backfill`, on schedules whose clock fires nothing while the test runs (they start in
NOT_YET, or ended before now); the clock's own ticks are seen with an `every` of a few seconds.
The orchestrator is the session's: each test deletes the schedules it made (none fires on).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest

from harness.api import define, get_run, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until

pytestmark = pytest.mark.integration

NOT_YET = "2999-01-01T00:00:00Z"  # the default schedule's start: its clock fires nothing in a test


@pytest.fixture(autouse=True)
def schedules_deleted(api: httpx.Client) -> Iterator[None]:
    """The schedules a test made are deleted after it: none keeps firing (a schedule of `every 1s`
    would start a run a second) while the session's other tests run on this orchestrator."""
    before = {s["id"] for s in api.get("/schedules").json()["schedules"]}
    yield
    for made in api.get("/schedules").json()["schedules"]:
        if made["id"] not in before:
            assert api.delete(f"/schedules/{made['id']}").status_code == 204


def gated(api: httpx.Client) -> str:
    """A workflow whose run stays open until it is sent the signal `go`."""
    wid = unique("gated")
    define(api, {"id": wid, "steps": [{"id": "gate", "signal": {"name": "go"}}]})
    return wid


def schedule(api: httpx.Client, wid: str, **fields: Any) -> dict[str, Any]:
    """A schedule; without cron or every, hourly from NOT_YET: only `trigger` and `backfill` fire it
    (an hourly one that started already would fire, under its overlap policy, at the hour)."""
    clock = {} if "cron" in fields or "every" in fields else {"every": "1h", "startAt": NOT_YET}
    body = {"id": unique("sched"), "workflowId": wid, **clock, **fields}
    r = api.post("/schedules", json=body)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def fire(api: httpx.Client, sid: str) -> dict[str, Any]:
    r = api.post(f"/schedules/{sid}/trigger")
    assert r.status_code == 200, r.text
    fired: dict[str, Any] = r.json()
    return fired


def release(api: httpx.Client, run_id: str) -> None:
    r = api.post(f"/workflow/run/{run_id}/signal/go", json={"payload": "done"})
    assert r.status_code == 200, r.text
    assert wait_run(api, run_id)["status"] == "COMPLETED"


def fires(api: httpx.Client, sid: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get(f"/schedules/{sid}").json()["recentFires"]
    return found


def test_a_schedule_fires_on_its_clock_once_per_fire_time(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = gated(api)
    created = schedule(api, wid, every="2s", overlap="allowAll", input={"report": "daily"})
    sid = created["id"]
    assert len(created["nextFireTimes"]) == 5
    first = datetime.fromisoformat(created["nextFireTimes"][0])
    assert first.timestamp() % 2 == 0  # `every` is anchored at the epoch: every orchestrator agrees
    until(lambda: len([f for f in fires(api, sid) if f["outcome"] == "started"]) >= 3, 20, "three fires")
    api.post(f"/schedules/{sid}/pause", json={"note": "enough"})
    started = [f for f in fires(api, sid) if f["outcome"] == "started"]
    times = sorted(datetime.fromisoformat(f["fireTime"]) for f in started)
    assert all(b - a == timedelta(seconds=2) for a, b in pairwise(times))
    rows = orchestrator.sql(
        "SELECT scheduled_at, count(*) FROM runs WHERE schedule_id = %s GROUP BY scheduled_at", sid
    )
    assert rows and all(n == 1 for _, n in rows)
    run = get_run(api, started[0]["runId"])
    assert (run["scheduleId"], run["input"]) == (sid, {"report": "daily"})
    assert datetime.fromisoformat(run["scheduledAt"]) == datetime.fromisoformat(started[0]["fireTime"])
    listed = api.get("/workflow/runs", params={"scheduleId": sid}).json()["runs"]
    assert {r["runId"] for r in listed} == {f["runId"] for f in started} | {
        f["runId"] for f in fires(api, sid) if f["runId"]
    }
    key = orchestrator.sql("SELECT idempotency_key FROM runs WHERE run_id = %s", started[0]["runId"])[0][0]
    assert key == f"schedule:{sid}:{datetime.fromisoformat(started[0]['fireTime']).isoformat()}"
    paused = api.get(f"/schedules/{sid}").json()
    assert (paused["paused"], paused["note"], paused["nextFireTimes"]) == (True, "enough", [])


def test_skip_fires_nothing_while_the_previous_run_is_open(api: httpx.Client) -> None:
    sid = schedule(api, gated(api), overlap="skip")["id"]
    first = fire(api, sid)
    assert first["outcome"] == "started"
    second = fire(api, sid)
    assert (second["outcome"], second["runId"]) == ("skipped", None)
    release(api, first["runId"])
    assert fire(api, sid)["outcome"] == "started"


def test_buffer_one_keeps_one_fire_and_starts_it_when_the_open_run_ends(api: httpx.Client) -> None:
    sid = schedule(api, gated(api), overlap="bufferOne")["id"]
    first = fire(api, sid)
    assert [fire(api, sid)["outcome"] for _ in range(2)] == ["buffered", "skipped"]
    assert api.get(f"/schedules/{sid}").json()["bufferedFires"] == 1
    release(api, first["runId"])

    def buffered_started() -> bool:
        return [f["outcome"] for f in fires(api, sid)] == ["skipped", "started", "started"]

    until(buffered_started, 20, "the buffered fire started")
    later = fires(api, sid)[1]
    assert later["runId"] != first["runId"] and later["runStatus"] == "RUNNING"
    assert api.get(f"/schedules/{sid}").json()["bufferedFires"] == 0


def test_allow_all_starts_every_fire(api: httpx.Client) -> None:
    sid = schedule(api, gated(api), overlap="allowAll")["id"]
    outcomes = [fire(api, sid) for _ in range(3)]
    assert [o["outcome"] for o in outcomes] == ["started"] * 3
    assert len({o["runId"] for o in outcomes}) == 3


def test_cancel_other_cancels_the_open_run_and_starts_the_new_one(api: httpx.Client) -> None:
    sid = schedule(api, gated(api), overlap="cancelOther")["id"]
    first = fire(api, sid)
    second = fire(api, sid)
    assert second["outcome"] == "started"
    assert wait_run(api, first["runId"])["status"] == "CANCELLED"
    assert get_run(api, second["runId"])["status"] == "RUNNING"


def test_backfill_fires_each_time_of_a_range_once(api: httpx.Client) -> None:
    wid = gated(api)
    start = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # the night Paris moves to summer time
    ended = (start + timedelta(hours=4)).isoformat()  # its clock fires nothing now: only the backfill
    sid = schedule(api, wid, cron="0 * * * *", timezone="Europe/Paris", overlap="allowAll", endAt=ended)["id"]
    body = {"startAt": start.isoformat(), "endAt": ended}
    done = api.post(f"/schedules/{sid}/backfill", json=body).json()
    assert (done["fires"], done["started"], done["alreadyFired"]) == (4, 4, 0)
    times = sorted(datetime.fromisoformat(f["fireTime"]) for f in fires(api, sid))
    assert times == [start + timedelta(hours=h) for h in range(4)]  # on the hour, in UTC too
    assert {f["source"] for f in fires(api, sid)} == {"backfill"}
    again = api.post(f"/schedules/{sid}/backfill", json=body).json()
    assert (again["fires"], again["started"], again["alreadyFired"]) == (4, 0, 4)
    huge = {"startAt": "2020-01-01T00:00:00Z", "endAt": "2021-01-01T00:00:00Z"}
    r = api.post(f"/schedules/{sid}/backfill", json=huge)
    assert r.status_code == 422 and "1000" in r.json()["detail"]
    future = {"startAt": start.isoformat(), "endAt": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    r = api.post(f"/schedules/{sid}/backfill", json=future)
    assert r.status_code == 422 and "future" in r.json()["detail"]


def test_backfill_with_buffer_all_runs_each_fire_after_the_other(api: httpx.Client) -> None:
    # ended at the range's end: no fire of the clock (skipped, the backfill's run being open) comes in
    sid = schedule(api, gated(api), every="10m", overlap="skip", endAt="2026-01-01T00:30:00Z")["id"]
    body = {"startAt": "2026-01-01T00:00:00Z", "endAt": "2026-01-01T00:30:00Z", "overlap": "bufferAll"}
    done = api.post(f"/schedules/{sid}/backfill", json=body).json()
    assert (done["fires"], done["started"], done["buffered"]) == (3, 1, 2)
    for n in range(3):
        open_fire = next(f for f in fires(api, sid) if f["runStatus"] == "RUNNING")
        assert open_fire["fireTime"].startswith(f"2026-01-01T00:{n}0:00")  # oldest first
        release(api, open_fire["runId"])
        if n < 2:
            until(lambda: any(f["runStatus"] == "RUNNING" for f in fires(api, sid)), 20, "the next fire")
    assert [f["outcome"] for f in fires(api, sid)] == ["started"] * 3


def test_missed_fire_times_are_caught_up_within_the_window_and_older_ones_counted(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    """As after a stop of every orchestrator: the next fire time is long past."""
    sid = schedule(api, gated(api), every="10s", overlap="allowAll", catchupWindowSeconds=60, paused=True)[
        "id"
    ]
    orchestrator.sql_script(
        "UPDATE schedules SET paused = false, next_fire_at = date_bin('10 seconds', now(), "
        f"'2000-01-01') - interval '1000 seconds', due_at = NULL WHERE schedule_id = '{sid}'"
    )
    late = orchestrator.sql("SELECT next_fire_at FROM schedules WHERE schedule_id = %s", sid)[0][0]
    orchestrator.sql_script(f"UPDATE schedules SET due_at = next_fire_at WHERE schedule_id = '{sid}'")
    until(lambda: api.get(f"/schedules/{sid}").json()["missedFires"] > 0, 20, "the catch-up")
    shown = api.get(f"/schedules/{sid}").json()
    fired = sorted(shown["recentFires"], key=lambda f: datetime.fromisoformat(f["fireTime"]))
    # The window counts back from the catch-up tick (its fires' recordedAt, the database's clock),
    # however long after the UPDATE it came: 60 s of 10 s fire times, and the older ones counted.
    tick = fired[0]["recordedAt"]
    window = datetime.fromisoformat(tick) - timedelta(seconds=60)
    oldest = datetime.fromisoformat(fired[0]["fireTime"])
    assert window <= oldest < window + timedelta(seconds=10), (tick, oldest)
    at_tick = [f for f in fired if f["recordedAt"] == tick]
    caught = [f for f in at_tick if f["source"] == "catchup"]  # all but those of its last 2 s
    assert 5 <= len(caught) <= 6 and all(f["outcome"] == "started" for f in at_tick), at_tick
    assert shown["missedFires"] == (oldest - late) // timedelta(seconds=10)  # those before the window
    assert shown["missedFires"] >= 94  # the other ~940 s
    times = [datetime.fromisoformat(f["fireTime"]) for f in fired]
    assert all(b - a == timedelta(seconds=10) for a, b in pairwise(times))


def test_bad_schedules_get_a_422_that_names_the_field(api: httpx.Client) -> None:
    wid = gated(api)
    cases = [
        ({"cron": "61 * * * *"}, "body.cron"),
        ({"cron": "0 2 * * *", "every": "1h"}, "exactly one of cron and every"),
        ({"every": "0s"}, "body.every"),
        ({"every": "1h", "timezone": "Mars/Olympus"}, "body.timezone"),
        ({"every": "1h", "workflowId": "nope-" + wid}, "is not defined"),
    ]
    for extra, said in cases:
        body = {"id": unique("bad"), "workflowId": wid, **extra}
        if "every" not in extra and "cron" not in extra:
            body["every"] = "1h"
        r = api.post("/schedules", json=body)
        assert r.status_code == 422 and said in r.text, (extra, r.text)
    r = api.post("/schedules", json={"id": unique("x"), "workflowId": wid, "every": "1h", "overlap": "never"})
    assert r.status_code == 422


def test_schedules_are_created_replaced_listed_and_deleted(api: httpx.Client) -> None:
    wid = gated(api)
    sid = unique("crud")
    r = api.put(
        f"/schedules/{sid}", json={"workflowId": wid, "cron": "0 2 * * *", "timezone": "Europe/Paris"}
    )
    assert r.status_code == 201, r.text
    assert datetime.fromisoformat(r.json()["nextFireTimes"][0]).astimezone(UTC).hour in (0, 1)  # 02:00 Paris
    assert api.post("/schedules", json={"id": sid, "workflowId": wid, "every": "1h"}).status_code == 409
    r = api.put(f"/schedules/{sid}", json={"workflowId": wid, "every": "15m"})
    assert (r.status_code, r.json()["every"], r.json()["cron"]) == (200, "15m", None)
    assert sid in [s["id"] for s in api.get("/schedules").json()["schedules"]]
    assert api.post(f"/schedules/{sid}/resume").json()["paused"] is False
    assert api.delete(f"/schedules/{sid}").status_code == 204
    assert api.get(f"/schedules/{sid}").status_code == 404
    assert api.post(f"/schedules/{sid}/trigger").status_code == 404


def test_a_schedule_that_cannot_be_fired_is_put_off_and_the_others_fire_on(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = gated(api)
    broken = schedule(api, wid, every="1s", overlap="allowAll", paused=True)["id"]
    orchestrator.sql_script(  # a calendar the API would refuse, written behind its back
        "UPDATE schedules SET paused = false, every = 'never', next_fire_at = now() - interval '5 seconds',"
        f" due_at = now() - interval '5 seconds' WHERE schedule_id = '{broken}'"
    )
    healthy = schedule(api, wid, every="1s", overlap="allowAll")["id"]
    until(lambda: len(fires(api, healthy)) >= 2, 20, "the other schedule firing")
    due, next_fire = orchestrator.sql(
        "SELECT due_at > now(), next_fire_at < now() FROM schedules WHERE schedule_id = %s", broken
    )[0]
    assert (due, next_fire) == (True, True)  # put off, its fire time kept for the retry
    assert orchestrator.sql("SELECT count(*) FROM schedule_fires WHERE schedule_id = %s", broken) == [(0,)]


def test_times_outside_what_a_calendar_can_step_through_get_a_422(api: httpx.Client) -> None:
    wid = gated(api)
    far = {"id": unique("far"), "workflowId": wid, "every": "1h", "startAt": "9999-12-31T23:00:00Z"}
    r = api.post("/schedules", json=far)
    assert r.status_code == 422 and "body.startAt" in r.text
    sid = schedule(api, wid, cron="0 * * * *")["id"]
    ancient = {"startAt": "0001-01-01T00:00:00Z", "endAt": "0001-01-01T05:00:00Z"}
    r = api.post(f"/schedules/{sid}/backfill", json=ancient)
    assert r.status_code == 422 and "body.startAt" in r.text
