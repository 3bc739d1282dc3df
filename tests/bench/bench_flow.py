"""`make bench`: flow control, measured on this machine against the running stack.

1. **Limit**: an action with `maxConcurrent` LIMIT, three Python workers of concurrency 20 each: the
   most executions at once (the handlers count them) against the limit.
2. **Rate**: an action with a rate of RATE/s and enough runs for a minute: jobs published per second
   over the minute after the bucket's first burst (when the workers started them), against the rate.
3. **Fairness**: a workflow keyed by customer (limit KEY_LIMIT): one busy key with BUSY runs and 10
   quiet keys with QUIET runs each, all triggered at once, the busy key first: how long the runs of
   each kind waited from trigger to their first job's publication.
4. **Flood**: a workflow with `maxBacklog` BACKLOG, FLOOD triggers from 32 connections as fast as they
   go at one worker that drains fewer: answers by status (never a 5xx), Retry-After seen, and every
   accepted run completes.

Bounded: fixed counts and a deadline per part; the limits are cleared at the end.
"""

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
from fleet import await_condition, print_table

from legato_worker import Worker, WorkerSettings

LIMIT, RATE, KEY_LIMIT, BACKLOG = 10, 50, 5, 500
LIMIT_RUNS, BUSY, QUIET, FLOOD = 2000, 1000, 20, 10_000


class Concurrency:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.starts: list[float] = []

    def handler(self, hold_s: float) -> Any:
        def run(payload: Any) -> Any:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
                self.starts.append(time.monotonic())
            time.sleep(hold_s)  # the work
            with self.lock:
                self.now -= 1
            return payload

        return run


@contextmanager
def workers(action: str, handler: Any, count: int = 3, concurrency: int = 20) -> Iterator[None]:
    started = []
    for _ in range(count):
        worker = Worker(WorkerSettings.from_env())
        worker.register(action, handler)
        thread = threading.Thread(target=worker.start, daemon=True)
        thread.start()
        started.append((worker, thread))
    try:
        yield
    finally:
        for worker, thread in started:
            worker.stop()
            thread.join(30)


def define(api: httpx.Client, body: dict[str, Any]) -> str:
    r = api.post("/workflow/", json=body)
    r.raise_for_status()
    return str(body["id"])


def trigger_all(api_url: str, wid: str, inputs: list[Any], clients: int = 16) -> list[httpx.Response]:
    def send(chunk: list[Any]) -> list[httpx.Response]:
        with httpx.Client(base_url=api_url, timeout=30) as api:
            return [api.post(f"/workflow/{wid}/trigger", json={"input": i}) for i in chunk]

    chunks = [inputs[n::clients] for n in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return [r for answers in pool.map(send, chunks) for r in answers]


def await_ended(conn: psycopg.Connection[Any], wid: str, runs: int, timeout: float) -> None:
    def done() -> bool:
        row = conn.execute(
            "SELECT count(*) FROM runs WHERE workflow_id = %s"
            " AND status IN ('COMPLETED', 'FAILED', 'CANCELLED')",
            (wid,),
        ).fetchone()
        return row is not None and int(row[0]) >= runs

    await_condition(done, timeout)


def bench_limit(api: httpx.Client, conn: psycopg.Connection[Any], tag: str) -> list[tuple[str, str]]:
    action = f"flow-limit-{tag}"
    api.put(f"/actions/{action}/limits", json={"maxConcurrent": LIMIT}).raise_for_status()
    wid = define(api, {"id": f"flow-limit-{tag}", "steps": [{"id": "a", "action": action}]})
    seen = Concurrency()
    started = time.monotonic()
    with workers(action, seen.handler(0.01)):
        answers = trigger_all(str(api.base_url), wid, list(range(LIMIT_RUNS)))
        assert all(a.status_code == 200 for a in answers)
        await_ended(conn, wid, LIMIT_RUNS, 300)
    took = time.monotonic() - started
    api.delete(f"/actions/{action}/limits")
    return [
        ("limit: maxConcurrent", str(LIMIT)),
        ("limit: most executions at once (3 workers x 20)", str(seen.most)),
        ("limit: runs, seconds", f"{LIMIT_RUNS}, {took:.1f} ({LIMIT_RUNS / took:.0f} runs/s)"),
    ]


def bench_rate(api: httpx.Client, conn: psycopg.Connection[Any], tag: str) -> list[tuple[str, str]]:
    action = f"flow-rate-{tag}"
    api.put(
        f"/actions/{action}/limits", json={"rate": {"limit": RATE, "periodSeconds": 1}}
    ).raise_for_status()
    wid = define(api, {"id": f"flow-rate-{tag}", "steps": [{"id": "a", "action": action}]})
    runs = RATE * 62
    seen = Concurrency()
    with workers(action, seen.handler(0)):
        answers = trigger_all(str(api.base_url), wid, list(range(runs)))
        assert all(a.status_code == 200 for a in answers)
        await_ended(conn, wid, runs, 180)
    times = sorted(seen.starts)  # when the workers started each job
    api.delete(f"/actions/{action}/limits")
    start = times[0] + 1.0  # after the first burst of RATE tokens
    in_window = [t for t in times if start <= t < start + 60]
    in_minute = len(in_window)
    return [
        ("rate: configured", f"{RATE}/s"),
        ("rate: observed over 60 s", f"{in_minute / 60:.2f}/s ({in_minute} jobs)"),
        (
            "rate: busiest second of the minute",
            f"{max(Counter(int(t - start) for t in in_window).values())} jobs",
        ),
    ]


def bench_fairness(api: httpx.Client, conn: psycopg.Connection[Any], tag: str) -> list[tuple[str, str]]:
    action = f"flow-fair-{tag}"
    wid = define(
        api,
        {
            "id": f"flow-fair-{tag}",
            "concurrency": {"key": "${input.k}", "limit": KEY_LIMIT},
            "steps": [{"id": "a", "action": action}],
        },
    )
    inputs = [{"k": "busy", "n": n} for n in range(BUSY)]
    inputs += [{"k": f"quiet-{q}", "n": n} for q in range(10) for n in range(QUIET)]
    with workers(action, Concurrency().handler(0.02)):
        answers = trigger_all(str(api.base_url), wid, inputs, clients=1)  # in order: the busy key first
        assert all(a.status_code == 200 for a in answers)
        await_ended(conn, wid, len(inputs), 300)
    waits: dict[str, list[float]] = {"busy": [], "quiet": []}
    for key, wait in conn.execute(
        """SELECT r.concurrency_key, extract(epoch FROM min(j.dispatched_at) - r.created_at)
           FROM runs AS r JOIN jobs AS j USING (run_id) WHERE r.workflow_id = %s GROUP BY r.run_id""",
        (wid,),
    ):
        waits["busy" if key == "busy" else "quiet"].append(float(wait))

    def summary(values: list[float]) -> str:
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        return f"mean {statistics.mean(values):.2f} s, p95 {p95:.2f} s, max {values[-1]:.2f} s"

    return [
        (
            "fairness: keys, limit per key",
            f"1 busy ({BUSY} runs) + 10 quiet ({QUIET} runs each), {KEY_LIMIT}",
        ),
        ("fairness: busy key, trigger to first job", summary(waits["busy"])),
        ("fairness: quiet keys, trigger to first job", summary(waits["quiet"])),
    ]


def bench_flood(api: httpx.Client, conn: psycopg.Connection[Any], tag: str) -> list[tuple[str, str]]:
    action = f"flow-flood-{tag}"
    wid = define(
        api, {"id": f"flow-flood-{tag}", "maxBacklog": BACKLOG, "steps": [{"id": "a", "action": action}]}
    )
    started = time.monotonic()
    with workers(action, Concurrency().handler(0.02), count=1, concurrency=4):  # drains ~150 runs/s
        answers = trigger_all(str(api.base_url), wid, list(range(FLOOD)), clients=32)
        sent = time.monotonic() - started
        accepted = sum(1 for a in answers if a.status_code == 200)
        await_ended(conn, wid, accepted, 300)
    statuses = Counter(a.status_code for a in answers)
    retry_after = sorted({int(a.headers["Retry-After"]) for a in answers if a.status_code == 429})
    completed = conn.execute(
        "SELECT count(*) FROM runs WHERE workflow_id = %s AND status = 'COMPLETED'", (wid,)
    ).fetchone()
    return [
        ("flood: maxBacklog, triggers", f"{BACKLOG}, {FLOOD} in {sent:.1f} s from 32 connections"),
        ("flood: answers by status", str(dict(sorted(statuses.items())))),
        ("flood: Retry-After values (s)", str(retry_after)),
        ("flood: accepted runs completed", f"{completed[0] if completed else 0}/{accepted}"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8080")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LEGATO_DATABASE_URL", "postgresql://legato:legato@127.0.0.1:5432/legato"),
    )
    parser.add_argument("--only", choices=["limit", "rate", "fairness", "flood"])
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    rows: list[tuple[str, str]] = []
    parts = {"limit": bench_limit, "rate": bench_rate, "fairness": bench_fairness, "flood": bench_flood}
    with (
        httpx.Client(base_url=args.api, timeout=30) as api,
        psycopg.connect(args.database_url, autocommit=True) as conn,
    ):
        for name, part in parts.items():
            if args.only in (None, name):
                rows += part(api, conn, tag)
    print_table("Flow control", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
