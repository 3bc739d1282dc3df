"""`make bench`: N runs of a 3-step workflow on no-op Python workers, end to end, on this machine.

Triggers go through the HTTP API over keep-alive connections; figures come from the orchestrator's
own timestamps in PostgreSQL (step latency: job created -> its result applied; run latency:
trigger accepted -> run ended). Bounded: a fixed number of runs and a deadline; the worker
processes it starts are stopped at the end.
"""

import argparse
import http.client
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
from cpu import CpuMeter, per_step_rows
from fleet import await_runs_ended, noop_workers, print_table, warm_up
from hops import hop_rows

from legato.settings import Settings
from legato_protocol.topics import job_topic

ACTIONS = ("bench-a", "bench-b", "bench-c")

STATS = """
WITH r AS (SELECT run_id, created_at, ended_at FROM runs WHERE workflow_id = %(wid)s),
     j AS (SELECT jobs.created_at, jobs.finished_at FROM jobs JOIN r USING (run_id))
SELECT
  (SELECT count(*) FROM r WHERE ended_at IS NOT NULL),
  (SELECT extract(epoch FROM max(ended_at) - min(created_at)) FROM r),
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)) FROM j),
  (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)) FROM j),
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - created_at)) FROM r),
  (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - created_at)) FROM r),
  (SELECT count(*) FROM j WHERE finished_at IS NOT NULL),
  (SELECT count(*) FROM r WHERE ended_at IS NOT NULL AND
     (SELECT status FROM runs x WHERE x.run_id = r.run_id) <> 'COMPLETED')
"""


def _trigger_slice(api: str, wid: str, first: int, step: int, runs: int, rate: float, batch: int = 0) -> None:
    """One keep-alive connection triggering runs first, first + step, ... (cheap on the CPU).

    With a rate (runs/s over all connections), each connection keeps to its share of the schedule.
    With a batch size, requests of `batch` runs (POST /workflow/{id}/trigger/batch): the connection
    sends requests first, first + step, ... of them.
    """
    url = urlsplit(api)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=30)
    start = time.monotonic()
    size = max(batch, 1)
    try:
        for n in range(first, -(-runs // size), step):
            chunk = range(n * size, min((n + 1) * size, runs))
            if rate:
                pause = start + chunk[0] / rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)  # pacing to the requested rate
            if batch:
                body = b"[%s]" % b",".join(b'{"input": {"i": %d}}' % i for i in chunk)
                path = f"/workflow/{wid}/trigger/batch"
            else:
                body, path = b'{"input": {"i": %d}}' % chunk[0], f"/workflow/{wid}/trigger"
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"trigger answered {response.status}")
            if batch and b'"failed":0,' not in answer:
                raise RuntimeError(f"a batch's item was refused: {answer[:300]!r}")
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--api",
        default="http://127.0.0.1:8080",
        help="comma-separated: the clients share them (orchestrators)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LEGATO_DATABASE_URL", "postgresql://legato:legato@localhost:5432/legato"),
    )
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3000")))
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP connections")
    parser.add_argument("--workers", type=int, default=1, help="no-op worker processes")
    parser.add_argument("--sdk", choices=("python", "node", "java"), default="python", help="worker SDK")
    parser.add_argument("--rate", type=float, default=0, help="runs/s to offer (0: as fast as possible)")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument(
        "--batch", type=int, default=0, help="runs per request through /trigger/batch (0: one per /trigger)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures here (make bench-compare)")
    args = parser.parse_args()

    wid = f"bench-{uuid.uuid4().hex[:6]}"
    apis = args.api.split(",")
    api = httpx.Client(base_url=apis[0], timeout=30)
    actions = ACTIONS if args.sdk == "python" else ("echo",) * len(ACTIONS)
    steps = [{"action": a, "stepIndex": i} for i, a in enumerate(actions)]
    api.post("/workflow/", json={"id": wid, "steps": steps}).raise_for_status()
    with (
        noop_workers(ACTIONS, args.workers, args.sdk),
        psycopg.connect(args.database_url, autocommit=True) as conn,
    ):
        warm_up(api, conn, wid, {"warmup": True})
        since_ms = int(time.time() * 1000)
        cpu = CpuMeter()
        started = time.monotonic()
        started_wall = time.time()
        with ThreadPoolExecutor(args.clients) as pool:
            slices = [
                pool.submit(
                    _trigger_slice,
                    apis[c % len(apis)],
                    wid,
                    c,
                    args.clients,
                    args.runs,
                    args.rate,
                    args.batch,
                )
                for c in range(args.clients)
            ]
            for s in slices:
                s.result()
        trigger_s = time.monotonic() - started
        await_runs_ended(conn, wid, args.runs, args.timeout)
        used = cpu.seconds()
        ended_wall = time.time()
        stats: Any = conn.execute(STATS, {"wid": wid}).fetchone()
        kafka = Settings.load().kafka
        topics = {job_topic(kafka.jobs_topic, a) for a in actions}
        hops = hop_rows(conn, kafka.bootstrap_servers, wid, topics, kafka.results_topic, since_ms)
    ended, span, s50, s99, r50, r99, step_count, failed = stats
    print_table(
        f"Legato bench: {args.runs} runs x {len(ACTIONS)} no-op steps, {args.clients} HTTP connections, "
        f"{args.workers} {args.sdk} worker process(es), {len(apis)} orchestrator(s), {os.cpu_count()} cores"
        + (f", offered {args.rate:g} runs/s" if args.rate else ", as fast as possible")
        + (f", {args.batch} runs per request (/trigger/batch)" if args.batch else ""),
        [
            ("runs completed", f"{ended - failed} of {args.runs}"),
            ("triggers/s (HTTP)", f"{args.runs / trigger_s:,.0f}"),
            ("runs/s (end to end)", f"{ended / span:,.0f}"),
            ("steps/s (end to end)", f"{step_count / span:,.0f}"),
            ("step latency p50", f"{s50 * 1000:.1f} ms"),
            ("step latency p99", f"{s99 * 1000:.1f} ms"),
            ("run latency p50", f"{r50 * 1000:.1f} ms"),
            ("run latency p99", f"{r99 * 1000:.1f} ms"),
            *per_step_rows(used, step_count),
            *hops,
        ],
    )
    if args.json:
        figures = {
            "runs": args.runs,
            "rate": args.rate,
            "completed": ended - failed,
            "failed": failed,
            "steps": step_count,
            "span_s": float(span),
            "runs_per_s": ended / float(span),
            "steps_per_s": step_count / float(span),
            "step_p50_ms": float(s50) * 1000,
            "step_p99_ms": float(s99) * 1000,
            "run_p50_ms": float(r50) * 1000,
            "run_p99_ms": float(r99) * 1000,
            "window": [started_wall, ended_wall],  # first trigger -> all runs ended, wall clock
        }
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
