"""End to end in every SDK: cancelling a run through the API reaches the handler that runs it.

Unlike the other modules, a real orchestrator plays the orchestrator here: the run-worker joins
its topics, the run is cancelled with POST /workflow/run/{id}/cancel, and the handler (`wait-cancel`)
must observe the cancellation; its late result is recorded as ignored.
"""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conformance_harness import WorkerProcess, security_env

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until


@pytest.fixture(scope="module")
def orchestrated_worker(
    orchestrator: Orchestrator, language: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    env = {
        **security_env(),
        **{k: v for k, v in orchestrator.env.items() if k.startswith("LEGATO_") and "API" not in k},
        "LEGATO_WORKER_ID": f"cancel-{language}",
        "LEGATO_SHUTDOWN_TIMEOUT_MS": "10000",
    }
    logs: Path = tmp_path_factory.mktemp(f"{language}-cancel")
    process = WorkerProcess(language, env, logs / "stderr.log")
    yield process
    process.stop()


def test_cancelling_a_run_reaches_its_handler(
    orchestrator: Orchestrator, orchestrated_worker: WorkerProcess, language: str
) -> None:
    with httpx.Client(base_url=orchestrator.url, timeout=30) as api:
        wid = unique(f"cancel-{language}")
        define(api, {"id": wid, "steps": [{"action": "wait-cancel", "stepIndex": 0}]})
        run_id = trigger(api, wid, {"ms": 60000})
        started = re.compile(r"STARTED ([0-9a-f-]{36})")

        def job_id() -> str | None:
            for line in list(orchestrated_worker.lines):
                m = started.search(line)
                if m:
                    return m.group(1)
            return None

        until(lambda: job_id() or not orchestrated_worker.alive(), timeout=60, what="the handler to start")
        assert orchestrated_worker.alive(), orchestrated_worker.diagnostics()
        job = job_id()
        cancelled_at = time.monotonic()
        assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 200
        orchestrated_worker.wait_for_line(f"CANCELLED {job} RunCancelled", timeout=10)
        seen = time.monotonic() - cancelled_at
        print(f"\n{language}: the handler saw the cancellation {seen:.2f} s after it")
        until(
            lambda: any(e["type"] == "RESULT_IGNORED" for e in events(api, run_id)),
            what="the late result to be recorded as ignored",
        )
        assert wait_run(api, run_id)["status"] == "CANCELLED"
