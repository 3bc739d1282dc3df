"""Fan-out / fan-in bench: R runs of split -> W parallel branches -> join, on no-op Python workers.

Figures come from the orchestrator's own timestamps in PostgreSQL:
- runs/s and branch steps/s end to end (first trigger -> last run ended);
- fan-out: the split's result applied -> the last branch job acknowledged by Kafka;
- fan-in: the last branch's result applied -> the join job created (same transaction when the
  join happens in the batch that applied that result) and -> the join job acknowledged by Kafka.
Bounded: a fixed number of runs and a deadline; the worker processes it starts are stopped at the end.
Usage: .venv/bin/python tests/bench/bench_fanout.py [--runs 50 --width 100] (against `make up`).
"""

import argparse
import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
from fleet import await_runs_ended, noop_workers, warm_up

STATS = """
WITH r AS (SELECT run_id, created_at, ended_at, status FROM runs WHERE workflow_id = %(wid)s),
     j AS (SELECT j.run_id, j.step_id, j.created_at, j.dispatched_at, j.finished_at
           FROM jobs AS j JOIN r USING (run_id)),
     per_run AS (
       SELECT run_id,
              (SELECT finished_at FROM j WHERE j.run_id = r.run_id AND step_id = 'split') AS split_done,
              (SELECT max(dispatched_at) FROM j WHERE j.run_id = r.run_id AND step_id LIKE 'b%%') AS fanned,
              (SELECT max(finished_at) FROM j WHERE j.run_id = r.run_id AND step_id LIKE 'b%%') AS last_b,
              (SELECT created_at FROM j WHERE j.run_id = r.run_id AND step_id = 'join') AS join_created,
              (SELECT dispatched_at FROM j WHERE j.run_id = r.run_id AND step_id = 'join') AS join_sent
       FROM r)
SELECT
  (SELECT count(*) FROM r WHERE status = 'COMPLETED'),
  (SELECT count(*) FROM r WHERE ended_at IS NOT NULL),
  (SELECT extract(epoch FROM max(ended_at) - min(created_at)) FROM r),
  (SELECT count(*) FROM j WHERE finished_at IS NOT NULL),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM fanned - split_done)),
  percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM fanned - split_done)),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM join_created - last_b)),
  percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM join_created - last_b)),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM join_sent - last_b)),
  percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM join_sent - last_b)),
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - created_at)) FROM r)
FROM per_run
"""


def _table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}\n")
    print(f"| {'figure':<{width}} | value |\n|{'-' * (width + 2)}|-------|")
    for k, v in rows:
        print(f"| {k:<{width}} | {v} |")


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", default="http://127.0.0.1:8080")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LEGATO_DATABASE_URL", "postgresql://legato:legato@localhost:5432/legato"),
    )
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_FANOUT_RUNS", "50")))
    parser.add_argument("--width", type=int, default=100, help="parallel branches per run")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP triggers")
    parser.add_argument("--workers", type=int, default=1, help="no-op worker processes")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    tag = uuid.uuid4().hex[:6]
    wid, split, branch, join = f"bench-fan-{tag}", f"fan-split-{tag}", f"fan-branch-{tag}", f"fan-join-{tag}"
    steps: list[dict[str, Any]] = [{"id": "split", "action": split}]
    steps += [{"id": f"b{i}", "action": branch, "dependsOn": ["split"]} for i in range(args.width)]
    steps.append({"id": "join", "action": join, "dependsOn": [f"b{i}" for i in range(args.width)]})
    api = httpx.Client(base_url=args.api, timeout=30)
    api.post("/workflow/", json={"id": wid, "steps": steps}).raise_for_status()
    with (
        noop_workers((split, branch, join), args.workers, LEGATO_WORKER_CONCURRENCY="64"),
        psycopg.connect(args.database_url, autocommit=True) as conn,
    ):
        warm_up(api, conn, wid, 0)

        def fire(i: int) -> None:
            api.post(f"/workflow/{wid}/trigger", json={"input": i}).raise_for_status()

        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(fire, range(args.runs)))
        await_runs_ended(conn, wid, args.runs, args.timeout)
        stats = conn.execute(STATS, {"wid": wid}).fetchone()
    assert stats is not None
    completed, ended, span, jobs, f50, f99, c50, c99, s50, s99, r50 = stats
    _table(
        f"Legato fan-out bench: {args.runs} runs of split -> {args.width} branches -> join, "
        f"{args.workers} no-op Python worker process(es), {os.cpu_count()} cores",
        [
            ("runs completed", f"{completed} of {args.runs}"),
            ("runs/s (end to end)", f"{ended / span:,.1f}"),
            ("steps/s (end to end)", f"{jobs / span:,.0f}"),
            ("run latency p50", _ms(r50)),
            ("fan-out: split result -> last branch sent p50", _ms(f50)),
            ("fan-out: split result -> last branch sent p99", _ms(f99)),
            ("fan-in: last branch result -> join created p50", _ms(c50)),
            ("fan-in: last branch result -> join created p99", _ms(c99)),
            ("fan-in: last branch result -> join sent p50", _ms(s50)),
            ("fan-in: last branch result -> join sent p99", _ms(s99)),
        ],
    )
    return 0 if completed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
