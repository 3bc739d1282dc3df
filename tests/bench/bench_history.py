"""`make bench`, large history: the 3-step bench against an empty database and against one holding
a million finished runs, then how fast retention deletes expired runs.
The workload runs `--rounds` times on each database, alternately.

Each scenario gets an orchestrator of its own (harness.orchestrator: own database, topics and
groups, the settings of `make up`). The history is written with set-based SQL (harness.history:
runs, steps, jobs and events as the engine leaves them, UUIDv7 ids, ended over the last 29 days,
payloads kept for the last 24 hours); the secondary indexes are dropped during the fill and built
again after it, then the tables are vacuumed and analysed. Retention is measured last: the oldest
`--expire` runs are backdated past 30 days and one sweep (500 runs per transaction) deletes them.
Bounded by deadlines; the orchestrators, workers and databases it creates are removed at the end.
Usage: .venv/bin/python tests/bench/bench_history.py [--history 1000000 --runs 3000 --expire 100000]
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from bench import ACTIONS, STATS, _trigger_slice
from fleet import await_runs_ended, noop_workers, print_table, warm_up
from psycopg_pool import ConnectionPool

from legato.engine.retention import Retention
from legato.settings import RetentionSettings, Settings, StoreSettings

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from harness.history import fill  # noqa: E402
from harness.orchestrator import LEGATO, Orchestrator  # noqa: E402

LOGS = TESTS.parent / ".legato" / "logs" / "bench"
HISTORY_TABLES = ["runs", "steps", "jobs", "run_events"]
# The settings `make up` runs with (the harness's test defaults differ).
MAKE_UP = {"LEGATO_JOB_PARTITIONS": "6", "LEGATO_SCHEDULER_INTERVAL_MS": "200"}
# What the payload pass would use (not in the schema yet): the jobs whose payload is still kept.
PAYLOAD_INDEX = (
    "CREATE INDEX jobs_payload_kept ON jobs (finished_at) WHERE payload <> '' AND finished_at IS NOT NULL"
)
WORKER_ENV = ("LEGATO_JOBS_TOPIC", "LEGATO_RESULTS_TOPIC", "LEGATO_GROUP_PREFIX", "LEGATO_JOB_PARTITIONS")


def _migrate(orch: Orchestrator) -> None:
    subprocess.run([str(LEGATO), "migrate"], env={**os.environ, **orch.env}, check=True)


def _fill_history(orch: Orchestrator, runs: int) -> dict[str, float]:
    """Write `runs` finished runs; returns the seconds each phase took."""
    took: dict[str, float] = {}
    with psycopg.connect(orch.database_url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            (HISTORY_TABLES,),
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')  # type: ignore[arg-type]
        started = time.monotonic()
        now = datetime.now(UTC)
        fill(
            conn,
            "history",
            runs,
            now - timedelta(days=29),
            now - timedelta(minutes=5),
            "COMPLETED",
            payload_since=now - timedelta(hours=24),
        )
        took["fill"] = time.monotonic() - started
        started = time.monotonic()
        for _, definition in indexes:
            conn.execute(definition)  # type: ignore[arg-type]
        took["indexes"] = time.monotonic() - started
        started = time.monotonic()
        conn.execute("VACUUM ANALYZE")
        took["vacuum"] = time.monotonic() - started
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        took["bytes"] = float(size[0]) if size else 0.0
    return took


def _workload(
    orch: Orchestrator, runs: int, clients: int, workers: int, timeout: float, rate: float = 0
) -> dict[str, Any]:
    """bench.py's workload against `orch`: `runs` 3-step runs at `rate` runs/s (0: at once)."""
    wid = f"bench-{uuid.uuid4().hex[:6]}"
    api = httpx.Client(base_url=orch.url, timeout=30)
    steps = [{"action": a, "stepIndex": i} for i, a in enumerate(ACTIONS)]
    api.post("/workflow/", json={"id": wid, "steps": steps}).raise_for_status()
    env = {k: orch.env[k] for k in WORKER_ENV}
    with (
        noop_workers(ACTIONS, workers, "python", **env),
        psycopg.connect(orch.database_url, autocommit=True) as conn,
    ):
        warm_up(api, conn, wid, {"warmup": True})
        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            for s in [
                pool.submit(_trigger_slice, orch.url, wid, c, clients, runs, rate) for c in range(clients)
            ]:
                s.result()
        trigger_s = time.monotonic() - started
        await_runs_ended(conn, wid, runs, timeout)
        stats: Any = conn.execute(STATS, {"wid": wid}).fetchone()
    api.close()
    ended, span, s50, s99, r50, r99, step_count, failed = stats
    return {
        "runs completed": f"{ended - failed} of {runs}",
        "triggers/s (HTTP)": f"{runs / trigger_s:,.0f}",
        "runs/s (end to end)": f"{ended / span:,.0f}",
        "steps/s (end to end)": f"{step_count / span:,.0f}",
        "step latency p50": f"{s50 * 1000:.1f} ms",
        "step latency p99": f"{s99 * 1000:.1f} ms",
        "run latency p50": f"{r50 * 1000:.1f} ms",
        "run latency p99": f"{r99 * 1000:.1f} ms",
    }


def _measure_retention(orch: Orchestrator, expire: int) -> dict[str, str]:
    """Backdate the oldest `expire` runs past 30 days; time one sweep that deletes them."""
    with psycopg.connect(orch.database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE runs SET ended_at = ended_at - interval '60 days' WHERE run_id IN ("
            " SELECT run_id FROM runs WHERE ended_at IS NOT NULL ORDER BY ended_at LIMIT %s)",
            (expire,),
        )
        conn.execute("VACUUM ANALYZE runs")
        rows_before = {t: _count(conn, t) for t in HISTORY_TABLES}
    settings = Settings(
        store=StoreSettings(database_url=orch.database_url),
        retention=RetentionSettings(days=30, job_payload_hours=24),
    )
    with ConnectionPool(orch.database_url, min_size=1, max_size=1, open=True) as pool:
        retention = Retention(pool, settings)
        started = time.monotonic()
        swept = retention.sweep()
        took = time.monotonic() - started
        idle_scan = _timed(retention.drop_payload_batch)  # nothing is due: the cost of looking
        with psycopg.connect(orch.database_url, autocommit=True) as conn:
            conn.execute(PAYLOAD_INDEX)
            rows_after = {t: _count(conn, t) for t in HISTORY_TABLES}
        idle_indexed = _timed(retention.drop_payload_batch)
    deleted_rows = sum(rows_before[t] - rows_after[t] for t in HISTORY_TABLES)
    return {
        "runs deleted": f"{swept.runs:,} of {expire:,}",
        "rows deleted (runs, steps, jobs, events)": f"{deleted_rows:,}",
        "sweep time": f"{took:.1f} s",
        "runs deleted/s": f"{swept.runs / took:,.0f}",
        "rows deleted/s": f"{deleted_rows / took:,.0f}",
        "payloads emptied in the sweep": f"{swept.payloads:,}",
        "payload pass, nothing due (no index)": f"{idle_scan * 1000:,.0f} ms",
        "same with index jobs_payload_kept": f"{idle_indexed * 1000:,.1f} ms",
    }


def _timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[arg-type]
    return int(row[0]) if row else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--history", type=int, default=int(os.environ.get("BENCH_HISTORY_RUNS", "1000000")))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3000")))
    parser.add_argument("--expire", type=int, default=100_000, help="expired runs retention deletes")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--rate", type=float, default=0, help="runs/s to offer (0: as fast as possible)")
    parser.add_argument("--rounds", type=int, default=2, help="workload rounds on each database")
    args = parser.parse_args()
    LOGS.mkdir(parents=True, exist_ok=True)
    title = f"{args.runs} runs x 3 no-op steps, {args.clients} HTTP connections, {os.cpu_count()} cores" + (
        f", offered {args.rate:g} runs/s" if args.rate else ", as fast as possible"
    )
    print(f"load average before: {_load()}")

    empty, history = Orchestrator(LOGS, **MAKE_UP), Orchestrator(LOGS, **MAKE_UP)
    try:
        _migrate(history)
        took = _fill_history(history, args.history)
        print(
            f"\nhistory: {args.history:,} finished runs written in {took['fill']:.0f} s, indexes built in "
            f"{took['indexes']:.0f} s, vacuum {took['vacuum']:.0f} s; "
            f"database {took['bytes'] / 2**30:.2f} GiB"
        )
        empty.start()
        history.start()
        # Alternated, so a change in the machine's load hits both scenarios alike.
        for n in range(1, args.rounds + 1):
            for name, orch in (("empty database", empty), (f"{args.history:,} finished runs", history)):
                figures = _workload(orch, args.runs, args.clients, args.workers, args.timeout, args.rate)
                print_table(
                    f"Large history bench, round {n}, {name}: {title} (load {_load()})", list(figures.items())
                )
        empty.stop()
        history.stop()
        if args.expire:
            print_table(
                f"Retention: {args.expire:,} expired runs deleted, 500 per transaction, nothing else running",
                list(_measure_retention(history, args.expire).items()),
            )
    finally:
        empty.drop()
        history.drop()
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
