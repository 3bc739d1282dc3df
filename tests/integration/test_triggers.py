"""Kafka-topic triggers: one run per record, its input and key from templates, bad records to the
dead-letter topic, perKey ordering, pause and resume (real Kafka and PostgreSQL)."""

import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from psycopg_pool import ConnectionPool

from harness.api import define, get_run, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from legato.definitions.registry import DefinitionRegistry
from legato.runs.trigger import Triggers
from legato.triggers.records import Taken
from legato.triggers.take import Fenced, take

pytestmark = pytest.mark.integration

Record = tuple[str | None, bytes | None]  # key, value


def topic_of(orchestrator: Orchestrator, partitions: int = 3) -> str:
    name = f"{orchestrator.tag}-in-{uuid.uuid4().hex[:6]}"
    admin = AdminClient(orchestrator.kafka_config())
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])[name].result(30)
    return name


def produce(orchestrator: Orchestrator, topic: str, records: Iterable[Record]) -> None:
    producer = Producer({**orchestrator.kafka_config(), "linger.ms": 5})
    for key, value in records:
        producer.produce(topic, value=value, key=key)
    assert producer.flush(30) == 0


def as_json(values: Iterable[Any]) -> list[Record]:
    return [(None, orjson.dumps(v)) for v in values]


def create(api: httpx.Client, **body: Any) -> dict[str, Any]:
    r = api.post("/triggers", json={"id": unique("trig"), **body})
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def counts(api: httpx.Client, tid: str) -> dict[str, int]:
    found: dict[str, int] = api.get(f"/triggers/{tid}").json()["counts"]
    return found


def gated(api: httpx.Client) -> str:
    wid = unique("gated")
    define(api, {"id": wid, "steps": [{"id": "gate", "signal": {"name": "go"}}]})
    return wid


def runs_of(orchestrator: Orchestrator, tid: str) -> list[tuple[Any, ...]]:
    return orchestrator.sql(
        "SELECT run_id, input, ordering_key FROM runs WHERE trigger_id = %s ORDER BY created_at, run_id", tid
    )


def test_one_run_per_record_with_the_input_the_template_renders(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, topic = gated(api), topic_of(orchestrator)
    produce(
        orchestrator, topic, as_json({"n": n, "old": True} for n in range(5))
    )  # before: from the beginning
    tid = create(
        api,
        kafka={"topic": topic, "fromBeginning": True},
        workflowId=wid,
        input={"order": "${value.n}", "where": "${topic}", "at": "${offset}"},
    )["id"]
    produce(orchestrator, topic, as_json({"n": n} for n in range(5, 20)))
    until(lambda: counts(api, tid)["started"] == 20, 30, "20 runs")
    rows = runs_of(orchestrator, tid)
    assert sorted(r[1]["order"] for r in rows) == list(range(20))
    assert {r[1]["where"] for r in rows} == {topic}
    run = get_run(api, str(rows[0][0]))
    assert run["triggerId"] == tid
    listed = api.get("/workflow/runs", params={"triggerId": tid, "limit": 100}).json()["runs"]
    assert len(listed) == 20
    until(lambda: api.get(f"/triggers/{tid}").json()["lag"] == 0, 20, "lag 0")
    # The intake counts a batch in the metric once its transaction has committed (its runs and the
    # trigger's counts are visible a moment before)
    started = f'legato_trigger_records_total{{outcome="started",trigger="{tid}"}} 20.0'
    until(lambda: started in api.get("/metrics").text, 10, "20 started records in the metric")


def test_from_the_end_skips_what_the_topic_held_before(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, topic = gated(api), topic_of(orchestrator)
    produce(orchestrator, topic, as_json({"n": n} for n in range(10)))
    tid = create(api, kafka={"topic": topic}, workflowId=wid)["id"]
    produce(orchestrator, topic, as_json({"n": n} for n in range(10, 13)))
    until(lambda: counts(api, tid)["started"] == 3, 30, "3 runs")
    assert sorted(r[1]["n"] for r in runs_of(orchestrator, tid)) == [10, 11, 12]


def test_a_rendered_idempotency_key_starts_one_run_per_key(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, topic = gated(api), topic_of(orchestrator)
    tid = create(
        api, kafka={"topic": topic, "fromBeginning": True}, workflowId=wid, idempotencyKey="${value.orderId}"
    )["id"]
    produce(orchestrator, topic, as_json({"orderId": f"o-{n % 4}", "n": n} for n in range(12)))
    until(lambda: sum(counts(api, tid).values()) == 12, 30, "12 records taken")
    assert counts(api, tid) == {"started": 4, "duplicates": 8, "deadLettered": 0}
    keys = orchestrator.sql("SELECT idempotency_key FROM runs WHERE trigger_id = %s", tid)
    assert sorted(k for (k,) in keys) == ["o-0", "o-1", "o-2", "o-3"]


def test_bad_records_go_to_the_dead_letter_topic_and_hold_nothing_up(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, topic = gated(api), topic_of(orchestrator, partitions=1)
    created = create(
        api,
        kafka={"topic": topic, "fromBeginning": True},
        workflowId=wid,
        idempotencyKey="${value.id}",
    )
    tid, dlt = created["id"], created["deadLetterTopic"]
    records: list[Record] = [
        (None, b'{"id": "a"}'),
        ("k1", b"not json {"),
        (None, None),  # a tombstone: no value
        (None, b'{"id": {"nested": 1}}'),  # a key that is not text
        (None, b'{"id": "b", "text": "\\u0000"}'),  # NUL: PostgreSQL cannot store it
        (None, b'{"no-id": 1}'),  # a key that renders null: it could not be deduplicated
        (None, b'{"id": "c"}'),
    ]
    produce(orchestrator, topic, records)
    until(lambda: sum(counts(api, tid).values()) == 7, 30, "7 records taken")
    assert counts(api, tid) == {"started": 2, "duplicates": 0, "deadLettered": 5}
    reader = Consumer(
        {**orchestrator.kafka_config(), "group.id": unique("dlt-reader"), "auto.offset.reset": "earliest"}
    )
    reader.subscribe([dlt])
    dead: list[Any] = []
    until(lambda: dead.extend(m for m in reader.consume(10, 0.5) if m.error() is None) or len(dead) >= 5, 30)
    reader.close()
    assert len(dead) == 5
    by_offset = {int(dict(m.headers())["legato-source-offset"]): dict(m.headers()) for m in dead}
    assert sorted(by_offset) == [1, 2, 3, 4, 5]
    assert [by_offset[o]["legato-error-type"] for o in (1, 2, 3, 4, 5)] == [
        b"NotJson",
        b"NotJson",
        b"InvalidKey",
        b"InvalidInput",
        b"InvalidKey",
    ]
    assert all(
        h["legato-trigger"] == tid.encode() and h["legato-source-topic"] == topic.encode()
        for h in by_offset.values()
    )
    first = next(m for m in dead if int(dict(m.headers())["legato-source-offset"]) == 1)
    assert (first.key(), first.value()) == (b"k1", b"not json {")  # as it was


def test_per_key_ordering_runs_a_key_after_its_previous_run_ended_and_holds_no_other_key(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, topic = gated(api), topic_of(orchestrator)
    tid = create(api, kafka={"topic": topic, "fromBeginning": True}, workflowId=wid, ordering="perKey")["id"]
    produce(
        orchestrator,
        topic,
        [("a", b'{"seq": 1}'), ("a", b'{"seq": 2}'), ("b", b'{"seq": 1}'), ("a", b'{"seq": 3}')],
    )

    # a's records and b's are on different partitions, which may come in different batches: a's
    # later records can be queued before b's record is taken
    def state() -> tuple[int, int]:
        found = api.get(f"/triggers/{tid}").json()
        return found["queued"], found["counts"]["started"]

    until(lambda: state() == (2, 2), 30, "a's later records queued, a's first and b's started")
    rows = runs_of(orchestrator, tid)
    assert sorted((r[2], r[1]["seq"]) for r in rows) == [("a", 1), ("b", 1)]  # b is not held back
    for seq in (1, 2):
        run_a = next(str(r[0]) for r in runs_of(orchestrator, tid) if r[2] == "a" and r[1]["seq"] == seq)
        r = api.post(f"/workflow/run/{run_a}/signal/go", json={"payload": seq})
        assert r.status_code == 200, r.text
        assert wait_run(api, run_a)["status"] == "COMPLETED"
        until(
            lambda seq=seq: any(r[2] == "a" and r[1]["seq"] == seq + 1 for r in runs_of(orchestrator, tid)),
            20,
            f"a's record {seq + 1} started",
        )
    assert api.get(f"/triggers/{tid}").json()["queued"] == 0
    open_a = orchestrator.sql(
        "SELECT count(*) FROM runs WHERE trigger_id = %s AND ordering_key = 'a' AND status = 'RUNNING'", tid
    )
    assert open_a == [(1,)]


def test_a_paused_trigger_takes_nothing_and_resumes_where_it_stopped(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, topic = gated(api), topic_of(orchestrator, partitions=1)
    tid = create(api, kafka={"topic": topic, "fromBeginning": True}, workflowId=wid)["id"]
    produce(orchestrator, topic, as_json(range(3)))
    until(lambda: counts(api, tid)["started"] == 3, 30, "3 runs")
    assert api.post(f"/triggers/{tid}/pause").json()["paused"] is True
    produce(orchestrator, topic, as_json(range(3, 8)))
    until(lambda: api.get(f"/triggers/{tid}").json()["lag"] == 5, 30, "5 records waiting (lag)")
    assert counts(api, tid)["started"] == 3
    assert api.post(f"/triggers/{tid}/resume").json()["paused"] is False
    until(lambda: counts(api, tid)["started"] == 8, 30, "8 runs")
    assert sorted(r[1] for r in runs_of(orchestrator, tid)) == list(range(8))


def test_bad_triggers_get_a_422_and_unknown_ones_a_404(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid = gated(api)
    bad = [
        {"kafka": {"topic": "has space"}, "workflowId": wid},
        {"kafka": {"topic": "t"}, "workflowId": "nope-" + wid},
        {"kafka": {"topic": "t"}, "workflowId": wid, "input": "${value.[}"},
        {"kafka": {"topic": "t"}, "workflowId": wid, "idempotencyKey": "order-${value.id}"},
        {"kafka": {"topic": "t"}, "workflowId": wid, "ordering": "strict"},
        {"kafka": {"topic": ".."}, "workflowId": wid},  # a name Kafka refuses
        {"kafka": {"topic": "t"}, "workflowId": wid, "input": {"a": "\u0000"}},  # PostgreSQL cannot store it
    ]
    for body in bad:
        r = api.post("/triggers", json={"id": unique("bad"), **body})
        assert r.status_code == 422, (body, r.text)
    tid = create(api, kafka={"topic": topic_of(orchestrator)}, workflowId=wid)["id"]
    assert (
        api.post("/triggers", json={"id": tid, "kafka": {"topic": "t"}, "workflowId": wid}).status_code == 409
    )
    assert tid in [t["id"] for t in api.get("/triggers").json()["triggers"]]
    assert api.delete(f"/triggers/{tid}").status_code == 204
    assert api.get(f"/triggers/{tid}").status_code == 404
    assert api.post(f"/triggers/{tid}/pause").status_code == 404


def test_a_batch_read_from_an_offset_another_consumer_moved_on_is_undone(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    """The fence: a consumer that lost its partition (a rebalance it has not seen) commits nothing."""
    tid, wid = unique("fenced"), gated(api)
    orchestrator.sql_script(  # a trigger no consumer runs (its topic is never read)
        f"""
        INSERT INTO triggers (trigger_id, workflow_id, topic, from_beginning, input, ordering)
        VALUES ('{tid}', '{wid}', '{tid}-never-written', true, '"${{value}}"', 'none');
        INSERT INTO trigger_offsets (trigger_id, partition, next_offset) VALUES ('{tid}', 0, 10);
        """
    )
    pool = ConnectionPool(orchestrator.database_url, open=True)
    writer = Triggers(DefinitionRegistry(pool), orchestrator.env["LEGATO_JOBS_TOPIC"], 3600)
    record = Taken(0, 7, "{}", None, None, {"topic": "t", "partition": 0, "offset": 7})
    with psycopg.connect(orchestrator.database_url) as conn:
        with pytest.raises(Fenced), conn.transaction(), conn.cursor() as cur:  # read at 7: moved on to 10
            take(cur, writer, tid, wid, [record], 0, {0: (7, 8)})
        with pytest.raises(Fenced), conn.transaction(), conn.cursor() as cur:  # a row it thought absent
            take(cur, writer, tid, wid, [record], 0, {0: (None, 8)})
        with conn.transaction(), conn.cursor() as cur:  # read at 10: its own
            take(cur, writer, tid, wid, [replace(record, offset=10)], 0, {0: (10, 11)})
    assert orchestrator.sql("SELECT count(*) FROM runs WHERE trigger_id = %s", tid) == [(1,)]
    assert orchestrator.sql("SELECT next_offset FROM trigger_offsets WHERE trigger_id = %s", tid) == [(11,)]
    pool.close()


def test_records_wait_in_kafka_while_the_workflow_has_too_much_work_not_started(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    """Backpressure: over its workflow's maxBacklog a trigger pauses its partitions; once the work
    drains (here: its runs are cancelled), it takes the records it held, each once."""
    wid, topic = unique("backlogged"), topic_of(orchestrator)
    define(api, {"id": wid, "maxBacklog": 5, "steps": [{"id": "a", "action": unique("nobody")}]})
    tid = create(api, kafka={"topic": topic}, workflowId=wid)["id"]

    def trigger() -> dict[str, Any]:
        found: dict[str, Any] = api.get(f"/triggers/{tid}").json()
        return found

    # At maxBacklog 5 once a batch took 5 or more (the runs a batch starts count at once): held.
    produce(orchestrator, topic, as_json(range(10)))
    until(lambda: trigger()["held"] is not None, 30, "the trigger holding its records")
    assert "the maxBacklog of workflow " + wid + " is 5" in trigger()["held"]
    taken = len(runs_of(orchestrator, tid))
    assert 5 <= taken <= 10
    # Held: what comes now waits in Kafka (the lag, sampled, counts it) and starts nothing.
    produce(orchestrator, topic, as_json(range(10, 20)))
    produced = 20
    until(lambda: trigger()["lag"] == produced - taken, 30, "the held records in the lag")
    assert len(runs_of(orchestrator, tid)) == taken and trigger()["held"] is not None

    def drained() -> int:
        """Cancel the trigger's open runs (the work drains); how many runs it has."""
        for (run_id,) in orchestrator.sql(
            "SELECT run_id FROM runs WHERE trigger_id = %s AND status = 'RUNNING'", tid
        ):
            assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 200
        return len(runs_of(orchestrator, tid))

    until(lambda: drained() == produced, 30, "the held records taken")
    assert sorted(r[1] for r in runs_of(orchestrator, tid)) == list(range(produced))
    until(lambda: drained() == produced and trigger()["held"] is None, 30, "the trigger no longer held")
