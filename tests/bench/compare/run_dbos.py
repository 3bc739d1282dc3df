"""`make bench-compare`, DBOS: DBOS Transact (Python) with a workflow of three no-op steps, its system
database a database of its own on the dev stack's PostgreSQL (the peers' venv: dbos, psycopg).

DBOS has no server: workflows run in the application process that starts them, so this one process
is both the load generator and the worker. Saturation: N workflows started (DBOS.start_workflow)
through `clients` concurrent threads as fast as possible, then all awaited. Light load: runs offered
at a fixed rate, then awaited. Run latency and the span are DBOS's own record of each workflow in
its workflow_status table (created_at -> completed_at). The database is created at the start and
dropped at the end (also on error and on SIGTERM).
"""

import argparse
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from common import STEPS, add_phase_arguments, due, exit_on_sigterm, phase, write_result
from dbos import DBOS, SetWorkflowID, WorkflowHandle

SPANS = """
SELECT created_at / 1000.0, coalesce(completed_at, updated_at) / 1000.0
FROM dbos.workflow_status WHERE workflow_uuid LIKE %(prefix)s AND status = 'SUCCESS'
"""
STEP_COUNT = "SELECT count(*) FROM dbos.operation_outputs WHERE workflow_uuid LIKE %(prefix)s"


@DBOS.step(name="bench-a")
def bench_a(payload: Any) -> Any:
    return payload


@DBOS.step(name="bench-b")
def bench_b(payload: Any) -> Any:
    return payload


@DBOS.step(name="bench-c")
def bench_c(payload: Any) -> Any:
    return payload


@DBOS.workflow(name="bench-workflow")
def bench_workflow(payload: Any) -> Any:
    return bench_c(bench_b(bench_a(payload)))


def run_phase(
    prefix: str, runs: int, clients: int, rate: float, timeout: float
) -> tuple[tuple[float, float], int]:
    """Start `runs` workflows through `clients` threads (at `rate` runs/s over all of them, or as fast
    as possible), then await them. Returns the wall-clock window and the failures."""
    handles: list[WorkflowHandle[Any] | None] = [None] * runs
    ready = [threading.Event() for _ in range(runs)]
    start = time.monotonic()

    def starter(first: int) -> None:
        for i in range(first, runs, clients):
            due(start, i, rate)
            with SetWorkflowID(f"{prefix}-{i}"):
                handles[i] = DBOS.start_workflow(bench_workflow, {"i": i})
            ready[i].set()

    def awaiter(first: int) -> int:
        failed = 0
        for i in range(first, runs, clients):
            ready[i].wait()
            handle = handles[i]
            assert handle is not None
            try:
                handle.get_result()
            except Exception:
                failed += 1
        return failed

    t0 = time.time()
    pool = ThreadPoolExecutor(2 * clients)
    try:
        starters = [pool.submit(starter, c) for c in range(clients)]
        awaiters = [pool.submit(awaiter, c) for c in range(clients)]
        _, pending = wait([*starters, *awaiters], timeout)
        if pending:
            raise TimeoutError(f"{prefix}: not all runs ended in {timeout:.0f} s")
        for s in starters:
            s.result()
        failed = sum(a.result() for a in awaiters)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return (t0, time.time()), failed


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench(args: argparse.Namespace, url: str) -> dict[str, Any]:
    DBOS(config={"name": "legato-bench-compare", "system_database_url": url, "log_level": "WARNING"})
    DBOS.launch()
    tag = uuid.uuid4().hex[:6]
    bench_workflow({"warmup": True})  # connections, caches; its id has neither prefix
    result: dict[str, Any] = {"system": "DBOS", "version": version("dbos"), "steps_per_run": STEPS}
    with psycopg.connect(url, autocommit=True) as conn:
        for name, prefix, runs, rate in (
            ("saturation", f"sat-{tag}", args.runs, 0.0),
            ("light", f"light-{tag}", args.light_runs, args.rate),
        ):
            if not runs:
                continue
            window, failed = run_phase(prefix, runs, args.clients, rate, args.timeout)
            spans = [(float(a), float(b)) for a, b in conn.execute(SPANS, {"prefix": prefix + "-%"})]
            row = conn.execute(STEP_COUNT, {"prefix": prefix + "-%"}).fetchone()
            steps = int(row[0]) if row else 0
            result[name] = phase(runs=runs, rate=rate, window=window, spans=spans, failed=failed, steps=steps)
            print(f"dbos {name}: {len(spans)} of {runs} runs completed", flush=True)
    DBOS.destroy()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="a role that may CREATE DATABASE")
    parser.add_argument("--database", default="dbos_bench", help="created here, dropped at the end")
    add_phase_arguments(parser, 2000)
    args = parser.parse_args()
    exit_on_sigterm()
    if not args.database.isidentifier():
        raise SystemExit(f"--database {args.database!r}: letters, digits and _ only")

    def drop() -> None:
        with psycopg.connect(args.database_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")

    drop()
    with psycopg.connect(args.database_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {args.database}")
    try:
        result = bench(args, with_database(args.database_url, args.database))
    except BaseException as e:
        # Interrupted, failed or out of time: drop the database under the workflows still in flight
        # and leave at once, without waiting for DBOS's threads (they would retry for minutes).
        if not isinstance(e, KeyboardInterrupt):
            traceback.print_exc()
        logging.disable(logging.CRITICAL)  # the workflows in flight complain as their database goes
        drop()
        sys.stderr.flush()
        os._exit(130 if isinstance(e, KeyboardInterrupt) else 1)
    drop()
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
