"""kill -9 of a worker mid-job and of the orchestrator mid-traffic: no run lost, nothing applied twice."""

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HERE = Path(__file__).parent


def _worker(orch: Orchestrator, action: str, mode: str) -> "subprocess.Popen[str]":
    return subprocess.Popen(
        [sys.executable, str(HERE / "crash_worker.py"), action, mode],
        env={**os.environ, **{k: v for k, v in orch.env.items() if k.startswith("LEGATO_")}},
        stdout=subprocess.PIPE if mode == "slow" else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_worker_killed_mid_job_loses_no_job(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, action = unique("crashy"), unique("crashy-step")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0, "timeoutSeconds": 30}]})
    doomed = _worker(orchestrator, action, "slow")
    try:
        run_id = trigger(api, wid, "precious")
        assert doomed.stdout is not None
        line = doomed.stdout.readline()  # blocks until the job is in the handler
        assert line.strip() == "STARTED precious"
        doomed.kill()
        doomed.wait(10)
        rescuer = _worker(orchestrator, action, "fast")
        try:
            run = wait_run(api, run_id, timeout=60)
        finally:
            rescuer.terminate()
            rescuer.wait(30)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait(10)
        if doomed.stdout:
            doomed.stdout.close()
    assert run["status"] == "COMPLETED"
    assert run["output"] == {"handledBy": "fast", "payload": "precious"}
    # Redelivered by Kafka (the killed worker never stored its offset): still the first attempt.
    assert run["steps"][0]["attempts"] == 1


RUNS = 300
KILLS = 5


def test_orchestrator_kill9_during_traffic_loses_nothing_and_applies_nothing_twice(
    fresh_orchestrator: Orchestrator,
) -> None:
    orch = fresh_orchestrator
    wid = unique("crash")
    a, b, c = unique("plus1"), unique("times2"), unique("minus3")
    with httpx.Client(base_url=orch.url, timeout=10) as api:
        define(api, {"id": wid, "steps": [{"action": x, "stepIndex": i} for i, x in enumerate((a, b, c))]})
    accepted: dict[int, str] = {}

    def trigger_all() -> None:
        # A client that retries each trigger with the same Idempotency-Key until it is accepted.
        with httpx.Client(base_url=orch.url, timeout=5) as client:
            for i in range(RUNS):
                while i not in accepted:
                    try:
                        r = client.post(
                            f"/workflow/{wid}/trigger",
                            json={"input": i},
                            headers={"Idempotency-Key": f"run-{i}"},
                        )
                        if r.status_code == 200:
                            accepted[i] = r.json()["runId"]
                            continue
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.05)

    handlers = {a: lambda p: p + 1, b: lambda p: p * 2, c: lambda p: p - 3}
    kills = 0
    with running_worker(orch, handlers):
        client = threading.Thread(target=trigger_all, daemon=True)
        client.start()
        while kills < KILLS:
            deadline = time.monotonic() + 0.7 + 0.3 * kills
            while time.monotonic() < deadline:  # let traffic flow for a while
                time.sleep(0.05)
            orch.kill()
            kills += 1
            orch.start()
        client.join(120)
        assert len(accepted) == RUNS
        with httpx.Client(base_url=orch.url, timeout=10) as api:
            for run_id in accepted.values():
                wait_run(api, run_id, timeout=90)

    rows = orch.sql("SELECT run_id, status, output FROM runs WHERE workflow_id = %s", wid)
    by_id = {str(r[0]): r for r in rows}
    lost = [i for i, rid in accepted.items() if by_id.get(rid, (None, None))[1] != "COMPLETED"]
    wrong = [i for i, rid in accepted.items() if rid in by_id and by_id[rid][2] != (i + 1) * 2 - 3]
    doubles = orch.sql(
        """SELECT e.run_id, e.step_id, count(*) FROM run_events e JOIN runs r USING (run_id)
           WHERE r.workflow_id = %s AND e.type = 'STEP_COMPLETED' GROUP BY 1, 2 HAVING count(*) > 1""",
        wid,
    )
    completed_jobs = orch.sql(
        """SELECT count(*) FROM jobs j JOIN runs r USING (run_id)
           WHERE r.workflow_id = %s AND j.state = 'COMPLETED'""",
        wid,
    )[0][0]
    print(
        f"\ncrash test: {RUNS} runs, {kills} kill -9 of the orchestrator, {len(rows)} runs stored, "
        f"{len(lost)} lost, {len(wrong)} wrong outputs, {len(doubles)} steps applied twice, "
        f"{completed_jobs} completed attempts for {RUNS * 3} steps"
    )
    assert len(rows) == RUNS  # idempotent triggers: no duplicate run despite retries across crashes
    assert lost == []
    assert wrong == []
    assert doubles == []
    assert completed_jobs == RUNS * 3
    assert len({uuid.UUID(r) for r in accepted.values()}) == RUNS
