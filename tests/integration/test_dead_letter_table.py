"""The dead_letters table: written with each DLT record, read by `legato dlt` without Kafka, and
replayed exactly once per record, also after the topic dropped it, one record at a time in bulk."""

import os
import subprocess
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from confluent_kafka.admin import AdminClient

from harness.api import define, trigger, unique, wait_run
from harness.cli import NO_KAFKA, as_json, dead_letters, legato
from harness.orchestrator import LEGATO, Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato.kafka.confirmed import Record
from legato.store import dlt_sql
from legato.workflow.dead_letter_rows import PAYLOAD_OMITTED, dead_letter_rows
from legato.workflow.model import Claimed, DeadLetter

pytestmark = pytest.mark.integration


def _workflow(api: httpx.Client, action: str) -> str:
    wid = unique("dl")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0, "retry": {"maxAttempts": 1}}]})
    return wid


class _Refusing:
    """A handler that fails while `broken` is set, and echoes its input once it is cleared."""

    def __init__(self, broken: threading.Event, error: type[Exception] = ConnectionError) -> None:
        self.broken, self.error = broken, error
        self.calls: list[Any] = []

    def __call__(self, payload: Any) -> Any:
        if self.broken.is_set():
            raise self.error("refused")
        self.calls.append(payload)
        return {"done": payload}


def _await_rows(orch: Orchestrator, count: int, *filters: str) -> list[dict[str, Any]]:
    until(lambda: len(dead_letters(orch, *filters)) >= count, 30, f"{count} dead letter(s) {filters}")
    return dead_letters(orch, *filters)


def test_list_filters_and_pages(api: httpx.Client, orchestrator: Orchestrator) -> None:
    conn_action, value_action = unique("gateway"), unique("validate")
    wid_a, wid_b = _workflow(api, conn_action), _workflow(api, value_action)
    broken = threading.Event()
    broken.set()
    runs_a = [trigger(api, wid_a, n) for n in range(3)]
    run_b = trigger(api, wid_b, "x")
    handlers = {conn_action: _Refusing(broken), value_action: _Refusing(broken, ValueError)}
    with running_worker(orchestrator, handlers):
        for run_id in [*runs_a, run_b]:
            assert wait_run(api, run_id)["status"] == "FAILED"
    rows_a = _await_rows(orchestrator, 3, "--workflow", wid_a)
    assert sorted(r["runId"] for r in rows_a) == sorted(runs_a)
    assert [r["deadAt"] for r in rows_a] == sorted(
        (r["deadAt"] for r in rows_a), reverse=True
    )  # newest first
    assert {(r["action"], r["errorType"], r["reason"]) for r in rows_a} == {
        (conn_action, "ConnectionError", "retries-exhausted")
    }

    [b] = dead_letters(orchestrator, "--action", value_action)
    assert (b["workflowId"], b["runId"], b["errorType"]) == (wid_b, run_b, "ValueError")
    assert dead_letters(orchestrator, "--workflow", wid_b, "--error-type", "ValueError") == [b]
    assert dead_letters(orchestrator, "--workflow", wid_b, "--error-type", "ConnectionError") == []
    assert [r["runId"] for r in dead_letters(orchestrator, "--run-id", runs_a[1])] == [runs_a[1]]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert dead_letters(orchestrator, "--workflow", wid_a, "--since", later) == []
    assert dead_letters(orchestrator, "--workflow", wid_a, "--since", "1h") == rows_a
    assert dead_letters(orchestrator, "--workflow", wid_a, "--pending") == rows_a

    first = as_json(orchestrator, "dlt", "list", "--workflow", wid_a, "--limit", "2")
    page1 = first["deadLetters"]
    assert len(page1) == 2
    assert first["nextCursor"]
    page2 = dead_letters(orchestrator, "--workflow", wid_a, "--limit", "2", "--cursor", first["nextCursor"])
    assert page1 + page2 == rows_a
    shown = legato(orchestrator, "dlt", "list", "--workflow", wid_a, "--limit", "2")
    assert f"--cursor {first['nextCursor']}" in shown.stderr

    table = legato(orchestrator, "dlt", "list", "--workflow", wid_a).stdout
    assert len(table.splitlines()) == 4  # the header and 3 rows
    assert all(r["id"] in table for r in rows_a)


def test_a_batch_applied_again_writes_each_row_once(orchestrator: Orchestrator) -> None:
    """The engine's statement against the real table: ON CONFLICT keeps the first row."""

    def dead(item: int | None, omitted: bool) -> tuple[DeadLetter, Record]:
        job = Claimed(
            job_id=uuid.uuid4(),
            run_id=uuid.uuid4(),
            step_id="charge",
            attempt=3,
            action="charge-card",
            payload='{"amount": 5}',
            workflow_id="orders",
            version=2,
            correlation_id="corr-1",
            status="FAILED",
            item_index=item,
        )
        hdrs: list[tuple[str, str | bytes | None]] = [
            ("legato-job-id", str(job.job_id).encode()),
            ("legato-dlt-reason", b"retries-exhausted"),
            ("not-legato", b"dropped"),
        ]
        if omitted:
            hdrs.append((PAYLOAD_OMITTED, b"true"))
        return DeadLetter(job, "retries-exhausted", "Boom", "it broke\x00"), Record("t.DLT", None, b"", hdrs)

    batch = [dead(None, False), dead(4, True)]
    params = dead_letter_rows([d for d, _ in batch], [r for _, r in batch])
    with psycopg.connect(orchestrator.database_url) as conn:
        for _ in range(2):
            with conn.transaction():
                conn.execute(dlt_sql.INSERT_DEAD_LETTERS, params)
        ids = [d.claimed.job_id for d, _ in batch]
        rows = conn.execute(
            "SELECT item_index, payload, headers, error_message, attempt, generation, correlation_id"
            " FROM dead_letters WHERE job_id = ANY(%s) ORDER BY item_index NULLS FIRST",
            (ids,),
        ).fetchall()
    assert len(rows) == 2
    (item0, payload0, headers0, message, attempt, generation, corr), (item1, payload1, headers1, *_) = rows
    assert (item0, payload0, attempt, generation, corr) == (None, '{"amount": 5}', 3, 1, "corr-1")
    assert headers0 == {"legato-job-id": str(ids[0]), "legato-dlt-reason": "retries-exhausted"}
    assert message == "it broke\ufffd"
    assert (item1, payload1, headers1[PAYLOAD_OMITTED]) == (4, None, "true")


def test_dlt_works_without_kafka_and_replays_after_the_topic_is_gone(
    own_api: httpx.Client, fresh_orchestrator: Orchestrator
) -> None:
    orch = fresh_orchestrator
    action = unique("flaky")
    wid = _workflow(own_api, action)
    broken = threading.Event()
    broken.set()
    handler = _Refusing(broken)
    run_id = trigger(own_api, wid, {"order": 7})
    with running_worker(orch, {action: handler}):
        assert wait_run(own_api, run_id)["status"] == "FAILED"
        [dl] = _await_rows(orch, 1, "--run-id", run_id)
        # its DLT record is published once the batch has committed (the row holds it until Kafka
        # acknowledged it): the topic goes after the record is on it
        until(
            lambda: orch.sql("SELECT record IS NULL FROM dead_letters WHERE run_id = %s", run_id)
            == [(True,)],
            30,
            "the DLT record acknowledged",
        )

        topic = f"{orch.env['LEGATO_JOBS_TOPIC']}.DLT"
        admin = AdminClient(orch.kafka_config())
        assert topic in admin.list_topics(timeout=10).topics
        for done in admin.delete_topics([topic], operation_timeout=30).values():
            done.result(30)
        until(lambda: topic not in admin.list_topics(timeout=10).topics, 30, f"{topic} deleted")

        # The topic is gone: list, show and replay need only the table (PostgreSQL).
        assert dead_letters(orch, "--run-id", run_id) == [dl]
        shown = as_json(orch, "dlt", "show", dl["id"], env=NO_KAFKA)
        assert (shown["id"], shown["payload"]) == (dl["id"], {"order": 7})

        broken.clear()
        out = legato(orch, "dlt", "replay", "--id", dl["id"], env=NO_KAFKA).stdout
        assert f"{dl['id']}: replayed" in out
        run = wait_run(own_api, run_id, {"COMPLETED"})
    assert run["output"] == {"done": {"order": 7}}
    assert handler.calls == [{"order": 7}]


def test_replaying_one_record_twice_at_once_dispatches_it_once(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    action = unique("twice")
    wid = _workflow(api, action)
    broken = threading.Event()
    broken.set()
    handler = _Refusing(broken)
    run_id = trigger(api, wid, 1)
    with running_worker(orchestrator, {action: handler}):
        assert wait_run(api, run_id)["status"] == "FAILED"
        [dl] = _await_rows(orchestrator, 1, "--run-id", run_id)
        broken.clear()
        env = {**os.environ, **orchestrator.env, "LEGATO_API_URL": orchestrator.url}
        racers = [
            subprocess.Popen(
                [str(LEGATO), "-o", "json", "dlt", "replay", "--id", dl["id"]],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [r.communicate(timeout=60) for r in racers]
        assert [r.returncode for r in racers] == [0, 0], results
        outcomes = sorted(orjson.loads(out)["results"][0]["outcome"] for out, _ in results)
        assert outcomes == ["alreadyReplayed", "replayed"]
        wait_run(api, run_id, {"COMPLETED"})
        again = as_json(orchestrator, "dlt", "replay", "--run-id", run_id)["results"]
        assert [a["outcome"] for a in again] == ["alreadyReplayed"]
    assert handler.calls == [1]
    replays = orchestrator.sql(
        "SELECT count(*) FROM run_events WHERE run_id = %s AND type = 'STEP_REPLAYED'", uuid.UUID(run_id)
    )
    assert replays == [(1,)]


def test_bulk_replay_goes_on_past_a_bad_record_and_refuses_one_payload_for_many(
    own_api: httpx.Client, fresh_orchestrator: Orchestrator
) -> None:
    orch = fresh_orchestrator
    action = unique("bulk")
    wid = _workflow(own_api, action)
    broken = threading.Event()
    broken.set()
    handler = _Refusing(broken)
    with running_worker(orch, {action: handler}):
        runs = []
        for n in range(3):  # one after another: the first dies first
            runs.append(trigger(own_api, wid, n))
            assert wait_run(own_api, runs[-1])["status"] == "FAILED"
        rows = list(reversed(_await_rows(orch, 3)))  # oldest first
        assert [r["runId"] for r in rows] == runs

        many = legato(orch, "dlt", "replay", "--all", "--payload", "42", check=False)
        assert many.returncode == 2
        assert "more than one dead letter" in many.stderr and "one at a time" in many.stderr
        assert len(dead_letters(orch, "--pending")) == 3  # nothing replayed

        # The oldest record cannot be replayed (its run was cancelled); the bulk goes on past it.
        orch.sql("UPDATE runs SET status = 'CANCELLED' WHERE run_id = %s RETURNING 1", uuid.UUID(runs[0]))
        broken.clear()
        bulk = legato(orch, "-o", "json", "dlt", "replay", "--all", check=False)
        assert bulk.returncode == 1
        outcomes = orjson.loads(bulk.stdout)["results"]
        assert [o["id"] for o in outcomes] == [r["id"] for r in rows]
        assert [o["outcome"] for o in outcomes] == ["failed", "replayed", "replayed"]
        assert "cancelled" in outcomes[0]["error"]
        for run_id in runs[1:]:
            assert wait_run(own_api, run_id, {"COMPLETED"})["status"] == "COMPLETED"
        assert [r["id"] for r in dead_letters(orch, "--pending")] == [rows[0]["id"]]

        summary = legato(orch, "dlt", "replay", "--run-id", runs[1], check=False)
        assert summary.returncode == 0
        assert "1 dead letter(s): 1 already replayed, 0 failed" in summary.stdout
    assert sorted(handler.calls) == [1, 2]


def test_import_indexes_what_only_the_topic_holds(api: httpx.Client, orchestrator: Orchestrator) -> None:
    action = unique("old")
    wid = _workflow(api, action)
    broken = threading.Event()
    broken.set()
    handler = _Refusing(broken)
    run_id = trigger(api, wid, {"legacy": True})
    with running_worker(orchestrator, {action: handler}):
        assert wait_run(api, run_id)["status"] == "FAILED"
        [dl] = _await_rows(orchestrator, 1, "--run-id", run_id)
        before = as_json(orchestrator, "dlt", "show", dl["id"])
        # As if it had been dead-lettered before the table existed: only the topic has it.
        orchestrator.sql("DELETE FROM dead_letters WHERE job_id = %s RETURNING 1", uuid.UUID(dl["id"]))
        assert dead_letters(orchestrator, "--run-id", run_id) == []

        imported = legato(orchestrator, "dlt", "import").stdout
        assert imported.startswith("1 dead letter(s) indexed")
        after = as_json(orchestrator, "dlt", "show", dl["id"])
        # dead_at now comes from the record's legato-failed-at (the engine's clock, not the database's)
        moved = datetime.fromisoformat(after.pop("deadAt")) - datetime.fromisoformat(before.pop("deadAt"))
        assert abs(moved) < timedelta(seconds=5)
        assert after == before
        assert legato(orchestrator, "dlt", "import").stdout.startswith("0 dead letter(s) indexed")

        broken.clear()
        legato(orchestrator, "dlt", "replay", "--id", dl["id"])
        assert wait_run(api, run_id, {"COMPLETED"})["output"] == {"done": {"legacy": True}}


def test_replay_marks_every_dead_letter_its_resume_reruns(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    """Retry-from-failure re-runs every step the failure stopped: a second dead letter of the run
    (here written by hand for the step cancelled with it, as when two steps die in one batch) is
    replayed by the first one's replay and answers "already replayed", never failed."""
    wid, charge, ship = unique("two-dead"), unique("charge"), unique("ship")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "charge", "action": charge, "retry": {"maxAttempts": 1}},
                {"id": "ship", "action": ship, "retry": {"maxAttempts": 1}},
            ],
        },
    )
    broken, release = threading.Event(), threading.Event()
    broken.set()
    ship_calls: list[Any] = []

    def on_ship(p: Any) -> Any:
        ship_calls.append(p)
        if len(ship_calls) == 1:
            assert release.wait(30)
        return "shipped"

    run_id = trigger(api, wid, "x")
    with running_worker(orchestrator, {charge: _Refusing(broken), ship: on_ship}):
        assert wait_run(api, run_id)["status"] == "FAILED"
        [dl] = _await_rows(orchestrator, 1, "--run-id", run_id)
        [(ship_job,)] = orchestrator.sql(
            "INSERT INTO dead_letters (job_id, run_id, step_id, workflow_id, version, action, attempt,"
            " generation, reason, error_type, error_message, payload)"
            " SELECT job_id, run_id, step_id, %s, 1, action, attempt, generation, 'timed-out', 'Timeout',"
            " 'late', payload FROM jobs WHERE run_id = %s AND step_id = 'ship' RETURNING job_id",
            wid,
            uuid.UUID(run_id),
        )
        broken.clear()
        out = as_json(orchestrator, "dlt", "replay", "--run-id", run_id)["results"]
        assert [(o["id"], o["outcome"]) for o in out] == [
            (dl["id"], "replayed"),
            (str(ship_job), "alreadyReplayed"),
        ]
        until(lambda: len(ship_calls) == 2, 20, "ship to run again")
        release.set()
        assert wait_run(api, run_id)["status"] == "COMPLETED"
    [ship_row] = [r for r in dead_letters(orchestrator, "--run-id", run_id) if r["stepId"] == "ship"]
    [(new_ship_job,)] = orchestrator.sql(
        "SELECT job_id FROM jobs WHERE run_id = %s AND step_id = 'ship' AND job_id <> %s",
        uuid.UUID(run_id),
        ship_job,
    )
    assert ship_row["replayJobId"] == str(new_ship_job)
