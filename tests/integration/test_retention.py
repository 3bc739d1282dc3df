"""Data lifecycle through real services: the engine deletes expired finished runs with every row
that belongs to them, keeps running and recent runs, empties old job payloads, keeps everything
with 0, and two orchestrators share the deletion. Ages are made by backdating rows with SQL."""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.history import fill
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato_worker import NonRetryableError

pytestmark = pytest.mark.integration

TABLES = (
    "runs",
    "steps",
    "step_items",
    "jobs",
    "run_events",
    "dead_letters",
    "dlt_replays",
    "idempotency_keys",
)


@contextmanager
def retaining(log_dir: Path, days: str, hours: str, batch: str = "7") -> Iterator[Orchestrator]:
    orch = Orchestrator(
        log_dir,
        LEGATO_RETENTION_DAYS=days,
        LEGATO_JOB_PAYLOAD_RETENTION_HOURS=hours,
        LEGATO_RETENTION_INTERVAL_S="0.2",
        LEGATO_RETENTION_BATCH_RUNS=batch,
    )
    try:
        orch.start()
        yield orch
    finally:
        orch.drop()


def _now() -> datetime:
    return datetime.now(UTC)


def _run_ids(orch: Orchestrator, workflow_id: str) -> list[uuid.UUID]:
    return [r[0] for r in orch.sql("SELECT run_id FROM runs WHERE workflow_id = %s", workflow_id)]


def _rows(orch: Orchestrator, run_ids: list[uuid.UUID]) -> dict[str, int]:
    return {t: orch.sql(f"SELECT count(*) FROM {t} WHERE run_id = ANY(%s)", run_ids)[0][0] for t in TABLES}


def _add(orch: Orchestrator, wid: str, runs: int, ended_days_ago: float) -> str:
    """`runs` synthetic finished runs (payloads kept) of a new workflow, ended that long ago."""
    workflow_id = unique(wid)
    end = _now() - timedelta(days=ended_days_ago)
    with psycopg.connect(orch.database_url, autocommit=True) as conn:
        fill(conn, workflow_id, runs, end - timedelta(minutes=1), end)
    return workflow_id


def _added(orch: Orchestrator, wid: str, runs: int, ended_days_ago: float) -> list[uuid.UUID]:
    """`_add`, answering the new runs' ids, read in the transaction that writes them: a sweep may
    delete an expired run as soon as it is committed (reading them after raced the sweeper)."""
    workflow_id = unique(wid)
    end = _now() - timedelta(days=ended_days_ago)
    with psycopg.connect(orch.database_url) as conn:  # one transaction, committed on leaving
        fill(conn, workflow_id, runs, end - timedelta(minutes=1), end)
        ids = [r[0] for r in conn.execute("SELECT run_id FROM runs WHERE workflow_id = %s", (workflow_id,))]
    assert len(ids) == runs
    return ids


SENTINELS = 2  # the expired runs each `_full_sweep_after_now` adds (and a sweep deletes)


def _full_sweep_after_now(orch: Orchestrator) -> None:
    """A sweep that started after this call has finished: a sentinel expired run is deleted, so a
    sweep deleted the runs eligible before it; but that sweep empties payloads and drops fires only
    after its deletions. Sweeps run one at a time: once a second sentinel, added after the first was
    deleted, is deleted too, the sweep that deleted the first has finished."""
    for n in range(SENTINELS):
        sentinel = _add(orch, "sentinel", 1, 400)

        def deleted(workflow_id: str = sentinel) -> bool:
            return not _run_ids(orch, workflow_id)

        until(deleted, 30, f"sentinel run {n + 1} deleted")


def _finish_real_runs(orch: Orchestrator) -> dict[str, str]:
    """Real runs the engine finished (a map step for step_items, a dead letter, a cancel) and one
    still running; returns their ids by role."""
    api = httpx.Client(base_url=orch.url, timeout=30)
    wid, each, last, stuck_wid, nobody = (unique(n) for n in ("ret", "each", "last", "stuck", "nobody"))
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "each", "action": each, "forEach": "input"},
                {"id": "last", "action": last, "dependsOn": ["each"]},
            ],
        },
    )
    define(api, {"id": stuck_wid, "steps": [{"id": "stuck", "action": nobody}]})

    def on_each(item: Any) -> Any:
        if item == "poison":
            raise NonRetryableError("bad item")
        return item

    ids: dict[str, str] = {}
    with running_worker(orch, {each: on_each, last: lambda p: p}):
        for role, value in (("old_done", [1, 2]), ("recent_done", [3]), ("recent_aged_jobs", [4, 5])):
            ids[role] = trigger(api, wid, value)
        ids["old_failed"] = trigger(api, wid, ["poison", 6])
        for role in ("old_done", "recent_done", "recent_aged_jobs"):
            assert wait_run(api, ids[role])["status"] == "COMPLETED"
        assert wait_run(api, ids["old_failed"])["status"] == "FAILED"
    ids["old_cancelled"] = trigger(api, stuck_wid, {})
    ids["running"] = trigger(api, stuck_wid, {})
    until(lambda: orch.sql("SELECT count(*) FROM jobs WHERE run_id = %s", uuid.UUID(ids["running"]))[0][0])
    assert api.post(f"/workflow/run/{ids['old_cancelled']}/cancel").status_code == 200
    api.close()
    return ids


def test_expired_runs_are_deleted_with_all_their_rows_and_the_rest_is_kept(tmp_path: Path) -> None:
    with retaining(tmp_path, days="1", hours="1") as orch:
        ids = _finish_real_runs(orch)
        real = {role: uuid.UUID(v) for role, v in ids.items()}
        old_real = [real["old_done"], real["old_failed"], real["old_cancelled"]]
        failed = real["old_failed"]
        failed_job = orch.sql("SELECT job_id FROM jobs WHERE run_id = %s AND state = 'FAILED'", failed)
        assert failed_job, "the poison item's job failed"
        # Rows every table can hold for a run (dead_letters is written by the engine; the other
        # two by `legato dlt replay` and keyed triggers): make sure each table has some.
        orch.sql_script(
            f"""
            INSERT INTO dead_letters (job_id, run_id, step_id, workflow_id, version, action, attempt,
                                      reason, error_type, error_message, payload)
            SELECT job_id, run_id, step_id, 'w', 1, action, attempt, 'failed', 'E', 'm', payload
            FROM jobs WHERE run_id = '{failed}' AND state = 'FAILED' ON CONFLICT DO NOTHING;
            INSERT INTO dlt_replays (job_id, dlt_record, run_id, step_id, new_job_id, payload_edited)
            VALUES ('{failed_job[0][0]}', 'dlt@0:1', '{failed}', 'each', gen_random_uuid(), false);
            INSERT INTO idempotency_keys (workflow_id, key, fingerprint, run_id, expires_at) VALUES
              ('w', 'old', 'f', '{real["old_done"]}', now()),
              ('w', 'recent', 'f', '{real["recent_done"]}', now() + interval '1 day')
            ON CONFLICT DO NOTHING;
            """
        )
        old_synthetic = _added(orch, "old", 30, ended_days_ago=40)
        recent_synthetic = _added(orch, "recent", 5, ended_days_ago=0.5)
        before_old = _rows(orch, old_real + old_synthetic)
        assert all(before_old[t] > 0 for t in TABLES), before_old
        kept = [real["recent_done"], real["recent_aged_jobs"], *recent_synthetic]
        kept_before = _rows(orch, kept)
        running_before = _rows(orch, [real["running"]])

        # The real runs ended two days ago; the running run started ten days ago (kept: not finished).
        orch.sql_script(
            f"""
            UPDATE runs SET ended_at = now() - interval '2 days'
            WHERE run_id IN ('{"','".join(map(str, old_real))}');
            UPDATE runs SET created_at = now() - interval '10 days' WHERE run_id = '{real["running"]}';
            UPDATE jobs SET created_at = now() - interval '10 days' WHERE run_id = '{real["running"]}';
            UPDATE jobs SET finished_at = now() - interval '2 hours'
            WHERE run_id = '{real["recent_aged_jobs"]}';
            """
        )
        until(lambda: _rows(orch, old_real + old_synthetic)["runs"] == 0, 60, "the expired runs deleted")
        _full_sweep_after_now(orch)

        assert _rows(orch, old_real + old_synthetic) == dict.fromkeys(TABLES, 0)
        assert _rows(orch, kept) == kept_before
        running_after = _rows(orch, [real["running"]])
        assert running_after["runs"] == 1 and running_after["steps"] == running_before["steps"]
        assert orch.sql("SELECT status FROM runs WHERE run_id = %s", real["running"]) == [("RUNNING",)]
        payloads = dict(
            orch.sql(
                "SELECT run_id, array_agg(payload <> '') FROM jobs WHERE run_id = ANY(%s) GROUP BY run_id",
                [*kept, real["running"]],
            )
        )
        assert not any(payloads[real["recent_aged_jobs"]])  # finished 2 hours ago: emptied
        assert not any(any(payloads[r]) for r in recent_synthetic)  # finished 12 hours ago: emptied
        assert all(payloads[real["recent_done"]])  # finished just now: kept
        assert all(payloads[real["running"]])  # not finished (however old it is): kept
        deleted = len(old_real) + len(old_synthetic) + SENTINELS
        # a batch is counted once it has committed (the rows are gone a moment before)
        until(
            lambda: _metric(httpx.get(f"{orch.url}/metrics").text, "legato_retention_deleted_runs_total")
            == deleted,
            10,
            f"{deleted} deleted runs counted",
        )
        assert _metric(httpx.get(f"{orch.url}/metrics").text, "legato_retention_errors_total") == 0


def test_a_run_an_idempotency_key_still_answers_for_outlives_the_retention_age(tmp_path: Path) -> None:
    """LEGATO_RETENTION_DAYS shorter than the key TTL: the keyed run stays until its key expires
    (a keyed trigger answered by PostgreSQL would otherwise start a second run)."""
    with retaining(tmp_path, days="1", hours="1") as orch:
        keyed, plain = _added(orch, "keyed", 2, ended_days_ago=0.5)
        orch.sql_script(
            f"""
            INSERT INTO idempotency_keys (workflow_id, key, fingerprint, run_id, expires_at)
            VALUES ('w', 'live', 'f', '{keyed}', now() + interval '1 day');
            UPDATE runs SET ended_at = now() - interval '2 days' WHERE run_id IN ('{keyed}', '{plain}');
            """
        )
        until(lambda: _rows(orch, [plain])["runs"] == 0, 60, "the run without a key deleted")
        _full_sweep_after_now(orch)
        assert _rows(orch, [keyed])["runs"] == 1 and _rows(orch, [keyed])["idempotency_keys"] == 1
        orch.sql_script(f"UPDATE idempotency_keys SET expires_at = now() WHERE run_id = '{keyed}'")
        until(lambda: _rows(orch, [keyed])["runs"] == 0, 60, "the run deleted once its key expired")


def _metric(text: str, name: str) -> float:
    found = re.findall(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.MULTILINE)
    return sum(float(v) for v in found)


def test_zero_keeps_runs_forever_and_payloads_when_asked(tmp_path: Path) -> None:
    # LEGATO_RETENTION_DAYS=0: runs are never deleted, payloads still emptied.
    with retaining(tmp_path, days="0", hours="1") as orch:
        ancient = _run_ids(orch, _add(orch, "ancient", 20, ended_days_ago=3650))
        before = _rows(orch, ancient)

        def emptied() -> bool:
            return not orch.sql("SELECT 1 FROM jobs WHERE run_id = ANY(%s) AND payload <> ''", ancient)

        until(emptied, 30, "payloads of jobs finished 10 years ago emptied")
        sentinel = _run_ids(orch, _add(orch, "sentinel", 1, ended_days_ago=3650))
        until(lambda: not orch.sql("SELECT 1 FROM jobs WHERE run_id = ANY(%s) AND payload <> ''", sentinel))
        assert _rows(orch, ancient) == before  # a later sweep ran; the runs are all there
    # LEGATO_JOB_PAYLOAD_RETENTION_HOURS=0: payloads are kept while expired runs go.
    with retaining(tmp_path, days="1", hours="0") as orch:
        aged = _run_ids(orch, _add(orch, "aged", 5, ended_days_ago=0.9))
        _full_sweep_after_now(orch)
        assert orch.sql("SELECT count(*) FROM jobs WHERE run_id = ANY(%s) AND payload <> ''", aged) == [(15,)]


def test_two_orchestrators_share_the_deletion(tmp_path: Path) -> None:
    with retaining(tmp_path, days="1", hours="1", batch="20") as first:
        second = Orchestrator(tmp_path, **{**first.env, "LEGATO_API_PORT": "0"})
        second.env["LEGATO_API_PORT"] = str(second.port)
        second.env["LEGATO_DATABASE_URL"] = first.database_url  # the same database, topics and groups
        try:
            second.start()
            total = 1500
            wid = _add(first, "shared", total, ended_days_ago=45)
            until(lambda: not _run_ids(first, wid), 120, "every expired run deleted")
            leftovers = first.sql(
                "SELECT (SELECT count(*) FROM steps) + (SELECT count(*) FROM jobs)"
                " + (SELECT count(*) FROM run_events)"
            )
            assert leftovers == [(0,)]
            counts: list[dict[str, float]] = []

            def counted() -> bool:
                """Each orchestrator's retention counters: a batch is counted once it has committed
                (its runs are gone a moment before)."""
                counts[:] = [
                    {
                        name: _metric(httpx.get(f"{o.url}/metrics").text, name)
                        for name in ("legato_retention_deleted_runs_total", "legato_retention_errors_total")
                    }
                    for o in (first, second)
                ]
                return sum(c["legato_retention_deleted_runs_total"] for c in counts) == total

            until(counted, 10, f"{total} deleted runs counted")
            print("deleted by each orchestrator:", [c["legato_retention_deleted_runs_total"] for c in counts])
            assert sum(c["legato_retention_deleted_runs_total"] for c in counts) == total, counts
            assert all(c["legato_retention_errors_total"] == 0 for c in counts), counts
            for o in (first, second):
                assert "retention sweep failed" not in o.log_path.read_text(errors="replace")
        finally:
            second.drop()


def test_schedule_fires_go_with_their_runs_and_those_that_started_none_at_the_same_age(
    tmp_path: Path,
) -> None:
    with retaining(tmp_path, days="1", hours="1") as orch:
        # the run expires only once its fire is written (a sweep in between would leave the fire)
        (expired,) = _added(orch, "scheduled", 1, ended_days_ago=0)
        orch.sql_script(
            f"""
            INSERT INTO schedule_fires (schedule_id, fire_time, source, outcome, run_id, recorded_at) VALUES
              ('s', now() - interval '3 days', 'schedule', 'started', '{expired}', now() - interval '2 days'),
              ('s', now() - interval '2 days', 'schedule', 'skipped', NULL, now() - interval '2 days'),
              ('s', now() - interval '1 hour', 'schedule', 'skipped', NULL, now() - interval '1 hour'),
              ('s', now() - interval '2 hours', 'backfill', 'buffered', NULL, now() - interval '2 days');
            UPDATE runs SET ended_at = now() - interval '2 days' WHERE run_id = '{expired}';
            """
        )
        until(lambda: _rows(orch, [expired])["runs"] == 0, 60, "the expired run deleted")
        _full_sweep_after_now(orch)
        left = orch.sql("SELECT outcome FROM schedule_fires WHERE schedule_id = 's' ORDER BY fire_time")
        assert left == [("buffered",), ("skipped",)]  # a buffered fire still waits; the recent one stays
