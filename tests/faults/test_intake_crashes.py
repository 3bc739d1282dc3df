"""kill -9 of orchestrators while they fire schedules and take a topic's records: every fire time
and every record makes exactly one run, none lost, none doubled."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import orjson
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from harness.api import define, unique
from harness.orchestrator import Orchestrator
from harness.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def gated(api: httpx.Client) -> str:
    """A workflow whose runs wait for a signal: they stay open and publish no job."""
    wid = unique("gated")
    define(api, {"id": wid, "steps": [{"id": "gate", "signal": {"name": "go"}}]})
    return wid


@pytest.fixture
def twins(fresh_orchestrator: Orchestrator) -> Iterator[tuple[Orchestrator, Orchestrator]]:
    other = fresh_orchestrator.twin()
    other.start()
    yield fresh_orchestrator, other
    other.stop()


def test_a_two_second_schedule_fires_once_per_tick_while_two_orchestrators_run_and_one_is_killed(
    twins: tuple[Orchestrator, Orchestrator],
) -> None:
    first, second = twins
    with httpx.Client(base_url=second.url, timeout=30) as api:
        sid = unique("every-2s")
        body = {"id": sid, "workflowId": gated(api), "every": "2s", "overlap": "allowAll"}
        assert api.post("/schedules", json=body).status_code == 201

        def fired() -> int:
            return int(second.sql("SELECT count(*) FROM runs WHERE schedule_id = %s", sid)[0][0])

        until(lambda: fired() >= 4, 30, "4 fires with both orchestrators up")
        first.kill()
        seen = fired()
        until(lambda: fired() >= seen + 4, 30, "4 more fires after the kill")
        first.start()  # back, and firing with the other again
        seen = fired()
        until(lambda: fired() >= seen + 3, 30, "3 more with both up again")
        assert api.post(f"/schedules/{sid}/pause").status_code == 200
    runs = second.sql(
        "SELECT scheduled_at, count(*) FROM runs WHERE schedule_id = %s GROUP BY scheduled_at ORDER BY 1", sid
    )
    assert all(n == 1 for _, n in runs), [r for r in runs if r[1] != 1]  # never twice
    times = [t for t, _ in runs]
    assert all(b - a == timedelta(seconds=2) for a, b in pairwise(times)), times  # never a gap
    fires = second.sql(
        "SELECT count(*) FROM schedule_fires WHERE schedule_id = %s AND outcome = 'started'", sid
    )
    assert fires == [(len(times),)]


def test_fire_times_missed_while_no_orchestrator_ran_are_caught_up_on_restart(
    fresh_orchestrator: Orchestrator, own_api: httpx.Client
) -> None:
    orch, sid = fresh_orchestrator, unique("every-2s")
    body = {"id": sid, "workflowId": gated(own_api), "every": "2s", "overlap": "allowAll"}
    assert own_api.post("/schedules", json=body).status_code == 201

    def fired() -> list[tuple[Any, ...]]:
        return orch.sql("SELECT fire_time, source FROM schedule_fires WHERE schedule_id = %s ORDER BY 1", sid)

    until(lambda: len(fired()) >= 2, 20, "two fires")
    orch.kill()
    down_at = datetime.now(UTC)
    # No orchestrator runs while three fire times pass: what is awaited is the clock itself.
    until(lambda: datetime.now(UTC) >= down_at + timedelta(seconds=7), 10, "three fire times to pass")
    before = len(fired())  # what it fired before the kill (a commit of its last moment included)
    orch.start()

    def caught_up() -> bool:
        return any(source == "catchup" for _, source in fired()[before:])

    until(caught_up, 30, "the missed fire times caught up")
    until(lambda: fired()[-1][0] > datetime.now(UTC) - timedelta(seconds=4), 30, "firing on time again")
    assert own_api.post(f"/schedules/{sid}/pause").status_code == 200  # what is read next stays
    times = [t for t, _ in fired()]
    assert all(b - a == timedelta(seconds=2) for a, b in pairwise(times)), times  # none missed
    after = fired()[before:]
    caught = [t for t, source in after if source == "catchup"]
    # the first fire time after the kill passed while no orchestrator ran: caught up, as the others
    assert after[0][1] == "catchup" and len(caught) >= 3, after
    runs = orch.sql("SELECT count(*), count(DISTINCT scheduled_at) FROM runs WHERE schedule_id = %s", sid)
    assert runs == [(len(times), len(times))]


def test_ten_thousand_records_start_ten_thousand_runs_while_the_orchestrator_is_killed(
    fresh_orchestrator: Orchestrator, own_api: httpx.Client
) -> None:
    orch, total = fresh_orchestrator, 10_000
    topic = f"{orch.tag}-orders"
    admin = AdminClient(orch.kafka_config())
    admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])[topic].result(30)
    producer = Producer({**orch.kafka_config(), "linger.ms": 20})
    for n in range(total):
        producer.produce(topic, value=orjson.dumps({"n": n}), key=str(n % 97))
    assert producer.flush(60) == 0
    tid = unique("orders-in")
    body = {"id": tid, "kafka": {"topic": topic, "fromBeginning": True}, "workflowId": gated(own_api)}
    assert own_api.post("/triggers", json=body).status_code == 201

    def runs() -> int:
        return int(orch.sql("SELECT count(*) FROM runs WHERE trigger_id = %s", tid)[0][0])

    for share in (0.15, 0.4, 0.7):  # kill -9 mid-stream, three times
        until(lambda share=share: runs() >= total * share, 120, f"{share:.0%} of the runs")
        orch.kill()
        orch.start()
    until(lambda: runs() >= total, 180, "every record's run")
    with httpx.Client(base_url=orch.url, timeout=30) as api:
        until(lambda: api.get(f"/triggers/{tid}").json()["lag"] == 0, 30, "lag 0")
        counts = api.get(f"/triggers/{tid}").json()["counts"]
    made, distinct = orch.sql(
        "SELECT count(*), count(DISTINCT (input->>'n')) FROM runs WHERE trigger_id = %s", tid
    )[0]
    assert (made, distinct) == (total, total)  # none lost, none doubled
    assert counts == {"started": total, "duplicates": 0, "deadLettered": 0}
    offsets = orch.sql("SELECT sum(next_offset) FROM trigger_offsets WHERE trigger_id = %s", tid)
    assert offsets == [(total,)]


def test_a_backlog_of_a_hundred_thousand_records_starts_as_many_runs(
    fresh_orchestrator: Orchestrator, own_api: httpx.Client
) -> None:
    orch, total = fresh_orchestrator, 100_000
    topic = f"{orch.tag}-backlog"
    admin = AdminClient(orch.kafka_config())
    admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])[topic].result(30)
    producer = Producer({**orch.kafka_config(), "linger.ms": 50, "batch.num.messages": 10_000})
    for n in range(total):
        producer.produce(topic, value=b'{"n": %d}' % n)
        if n % 50_000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0
    tid = unique("backlog")
    body = {"id": tid, "kafka": {"topic": topic, "fromBeginning": True}, "workflowId": gated(own_api)}
    created = own_api.post("/triggers", json=body)
    assert created.status_code == 201 and created.json()["lag"] == total, created.text
    until(
        lambda: own_api.get(f"/triggers/{tid}").json()["counts"]["started"] >= total, 300, "the backlog taken"
    )
    until(lambda: own_api.get(f"/triggers/{tid}").json()["lag"] == 0, 30, "lag 0")
    made, distinct = orch.sql(
        "SELECT count(*), count(DISTINCT (input->>'n')) FROM runs WHERE trigger_id = %s", tid
    )[0]
    assert (made, distinct) == (total, total)


def test_two_orchestrators_share_a_topic_and_one_killed_loses_and_doubles_nothing(
    twins: tuple[Orchestrator, Orchestrator],
) -> None:
    first, second = twins
    total, topic = 6_000, f"{first.tag}-shared"
    admin = AdminClient(first.kafka_config())
    admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])[topic].result(30)
    producer = Producer({**first.kafka_config(), "linger.ms": 20})
    for n in range(total):
        producer.produce(topic, value=orjson.dumps({"n": n}))
    assert producer.flush(60) == 0
    with httpx.Client(base_url=second.url, timeout=30) as api:
        tid = unique("shared")
        body = {"id": tid, "kafka": {"topic": topic, "fromBeginning": True}, "workflowId": gated(api)}
        assert api.post("/triggers", json=body).status_code == 201

        def runs() -> int:
            return int(second.sql("SELECT count(*) FROM runs WHERE trigger_id = %s", tid)[0][0])

        until(lambda: runs() >= total * 0.3, 120, "30% of the runs, both orchestrators taking")
        first.kill()  # its partitions move to the other once its session expires
        until(lambda: runs() >= total * 0.6, 120, "60% of the runs")
        first.start()  # and some move back
        until(lambda: runs() >= total, 180, "every record's run")
        until(lambda: api.get(f"/triggers/{tid}").json()["lag"] == 0, 30, "lag 0")
    made, distinct = second.sql(
        "SELECT count(*), count(DISTINCT (input->>'n')) FROM runs WHERE trigger_id = %s", tid
    )[0]
    assert (made, distinct) == (total, total)
