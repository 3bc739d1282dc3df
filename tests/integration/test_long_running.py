"""Long-running steps with real workers: a backlog that expires in its queue runs each step once,
a heartbeating step survives a worker kill and resumes from its progress, and cancelling a run
reaches the handler in every SDK."""

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato_worker import JobContext

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BACKLOG_RUNS = 60
STEPS = ("extract", "load")


def test_a_backlog_that_expires_in_its_queue_runs_every_step_once(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    """The action's workers are down while every queued attempt expires (scheduleToStartSeconds)
    at least twice; when they return, each step runs exactly once and every run completes."""
    action = unique("backlog")
    wid = unique("backlog")
    timeouts = {"scheduleToStartSeconds": 1, "startToCloseSeconds": 30, "retry": {"initialDelayMs": 100}}
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "extract", "action": action, **timeouts},
                {"id": "load", "action": action, "dependsOn": ["extract"], **timeouts},
            ],
        },
    )
    run_ids = [trigger(api, wid, n) for n in range(BACKLOG_RUNS)]

    def expired() -> int:
        rows = orchestrator.sql(
            "SELECT count(*) FROM jobs WHERE state = 'TIMED_OUT' AND deadline_kind = 'ScheduleToStart'"
        )
        return int(rows[0][0])

    until(lambda: expired() >= 2 * BACKLOG_RUNS, timeout=60, what="every queued attempt to expire twice")
    executions: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()

    def handle(payload: Any, ctx: JobContext) -> Any:
        with lock:
            executions[(ctx.run_id, ctx.step_id)] += 1
        return payload

    with running_worker(orchestrator, {action: handle}):
        runs = [wait_run(api, r, timeout=90) for r in run_ids]
    published = orchestrator.sql("SELECT count(*) FROM jobs")[0][0]
    print(
        f"\nbacklog: {BACKLOG_RUNS} runs x {len(STEPS)} steps, {published} jobs published "
        f"({expired()} expired in the queue), {sum(executions.values())} executions, "
        f"{sum(r['status'] == 'COMPLETED' for r in runs)} runs completed"
    )
    assert [r["status"] for r in runs] == ["COMPLETED"] * BACKLOG_RUNS
    assert sorted(executions.values()) == [1] * (BACKLOG_RUNS * len(STEPS)), executions.most_common(3)
    assert {(r["runId"], s) for r in runs for s in STEPS} == set(executions)
    assert all(s["attempts"] == 1 for r in runs for s in r["steps"])  # expiries used no attempt
    history = events(api, run_ids[0])
    assert any(
        e["type"] == "STEP_TIMED_OUT" and e["data"]["type"] == "ScheduleToStartTimeout" for e in history
    )


def _import_worker(orch: Orchestrator, name: str) -> "subprocess.Popen[str]":
    env = {
        **os.environ,
        **{k: v for k, v in orch.env.items() if k.startswith("LEGATO_")},
        "LEGATO_WORKER_ID": name,
        "LEGATO_SESSION_TIMEOUT_MS": "6000",
    }
    return subprocess.Popen(
        [sys.executable, str(REPO / "examples" / "python" / "import_worker.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def test_a_heartbeating_step_survives_a_worker_kill_and_resumes_from_its_progress(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    """The example import worker: killed -9 mid-import, the retry resumes from the last heartbeat."""
    definition = {
        "id": unique("import"),
        "steps": [
            {
                "id": "import",
                "action": "import-rows",
                "heartbeatSeconds": 2,
                "retry": {"maxAttempts": 3, "initialDelayMs": 100},
            }
        ],
    }
    define(api, definition)
    doomed = _import_worker(orchestrator, "doomed")
    survivor: subprocess.Popen[str] | None = None
    try:
        run_id = trigger(api, definition["id"], {"batches": 60})

        def progress() -> int:
            live = api.get(f"/workflow/run/{run_id}").json()["steps"][0].get("liveAttempt") or {}
            return int((live.get("progress") or {}).get("done", 0))

        until(lambda: progress() >= 10, what="the import to report 10 batches")
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
        reached = progress()
        survivor = _import_worker(orchestrator, "survivor")
        run = wait_run(api, run_id, timeout=90)
    finally:
        for proc in (doomed, survivor):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
    assert survivor is not None and survivor.stdout is not None
    with survivor.stdout:
        lines = survivor.stdout.read().splitlines()
    assert doomed.stdout is not None
    doomed.stdout.close()
    assert run["status"] == "COMPLETED", run
    output = run["output"]
    assert output["attempt"] == 2 and output["resumedFrom"] >= reached >= 10, (output, reached)
    timed_out = [e for e in events(api, run_id) if e["type"] == "STEP_TIMED_OUT"]
    assert [e["data"]["type"] for e in timed_out] == ["HeartbeatTimeout"]
    # The killed attempt was not delivered again from scratch: only attempt 2 ran on the survivor.
    assert [line for line in lines if line.startswith("import-rows:")] == [
        f"import-rows: attempt 2 starts at batch {output['resumedFrom']}"
    ]
