"""Backlog figures: an action's workers are down while its queued jobs outlive their timeout.

Starts an orchestrator from a checkout (`--src`, default this one) on its own database and topics,
triggers N runs of a 2-step workflow with no worker up, waits `--down` seconds, then starts one
worker process (the same checkout's Python SDK) and reports jobs published, handler executions and
how the runs ended. Run it against an older checkout to see the before (the script itself only
uses the HTTP API and `legato_worker.Worker`, which every version has):

    .venv/bin/python tests/bench/backlog.py                       # this checkout
    git worktree add /tmp/old <commit>
    .venv/bin/python tests/bench/backlog.py --src /tmp/old --timeouts '{"timeoutSeconds": 2}'
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[2]
WORKER = """
import sys, threading, time
from legato_worker import Worker, current_job
worker = Worker()
lock = threading.Lock()
def handle(payload):
    job = current_job()
    with lock:
        print("RAN", job["runId"], job["stepId"], flush=True)
    time.sleep(0.02)
    return payload
worker.register(sys.argv[1], handle)
worker.start()
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--src", type=Path, default=REPO, help="checkout whose orchestrator and SDK run")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--down", type=float, default=8.0, help="seconds the workers are down")
    parser.add_argument(
        "--timeouts", default='{"timeoutSeconds": 2}', help="the steps' timeout fields (JSON)"
    )
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--pg", default="postgresql://legato:legato@localhost:5432/legato")
    args = parser.parse_args()
    tag = f"backlog{uuid.uuid4().hex[:6]}"
    database = f"legato_{tag}"
    base = args.pg.rpartition("/")[0]
    env = {
        **os.environ,
        "PYTHONPATH": f"{args.src}/orchestrator/src:{args.src}/worker-sdk-python/src",
        "LEGATO_API_PORT": str(args.port),
        "LEGATO_DATABASE_URL": f"{base}/{database}",
        "LEGATO_REDIS_URL": "redis://localhost:6379/14",
        "LEGATO_JOBS_TOPIC": f"{tag}-jobs",
        "LEGATO_RESULTS_TOPIC": f"{tag}-results",
        "LEGATO_CONTROL_TOPIC": f"{tag}-control",
        "LEGATO_GROUP_PREFIX": f"{tag}-workers",
        "LEGATO_ORCHESTRATOR_GROUP": f"{tag}-orchestrator",
        "LEGATO_JOB_PARTITIONS": "3",
    }
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    log = open(f"/tmp/{tag}-orchestrator.log", "wb")  # noqa: SIM115 - lives as long as the process
    serve = subprocess.Popen(
        [sys.executable, "-c", "from legato.cli import main; main()", "serve"],
        env=env,
        stdout=log,
        stderr=log,
    )
    worker: subprocess.Popen[str] | None = None
    try:
        api = httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=30)
        _until(lambda: _ready(api), 90)
        action = f"{tag}-step"
        timeouts = json.loads(args.timeouts)
        wid = f"{tag}-wf"
        steps = [
            {"id": "extract", "action": action, "retry": {"initialDelayMs": 1000}, **timeouts},
            {
                "id": "load",
                "action": action,
                "dependsOn": ["extract"],
                "retry": {"initialDelayMs": 1000},
                **timeouts,
            },
        ]
        api.post("/workflow/", json={"id": wid, "steps": steps}).raise_for_status()
        run_ids = [
            api.post(f"/workflow/{wid}/trigger", json={"input": n}).json()["runId"] for n in range(args.runs)
        ]
        time.sleep(args.down)  # the outage being measured: no worker for this long
        started = time.monotonic()
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, action],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        finals = [_final(api, r, 120) for r in run_ids]
        drained = time.monotonic() - started
        time.sleep(3)  # late executions of stale attempts still queued (the "before" behaviour)
    finally:
        if worker is not None:
            worker.terminate()
        executions = Counter(
            tuple(line.split()[1:3])
            for line in (worker.communicate(timeout=60)[0] if worker else "").splitlines()
            if line.startswith("RAN")
        )
        serve.terminate()
        serve.wait(30)
    with psycopg.connect(f"{base}/{database}") as conn:
        jobs = conn.execute("SELECT count(*) FROM jobs").fetchone()[0]  # type: ignore[index]
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    status = Counter(r["status"] for r in finals)
    per_step = Counter(executions.values())
    print(
        f"src {args.src}  timeouts {args.timeouts}  runs {args.runs} x 2 steps  workers down {args.down:g} s"
    )
    print(f"  jobs published        {jobs}")
    print(f"  handler executions    {sum(executions.values())}  (per step: {dict(sorted(per_step.items()))})")
    print(f"  runs                  {dict(status)}  (drained in {drained:.1f} s after the workers returned)")
    return 0


def _ready(api: httpx.Client) -> bool:
    try:
        return api.get("/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def _until(probe: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("not ready")
        time.sleep(0.2)


def _final(api: httpx.Client, run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = api.get(f"/workflow/run/{run_id}").json()
        if run["status"] in ("COMPLETED", "FAILED", "CANCELLED") or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
