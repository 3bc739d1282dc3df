"""A worker killed with SIGKILL mid-job: another worker of the group picks the job up and answers it."""

import os
import signal
from collections.abc import Callable

from conformance_harness import Wire, WorkerProcess

WORKER_ENV = {"LEGATO_SESSION_TIMEOUT_MS": "6000"}


def test_job_of_a_killed_worker_is_answered(
    wire: Wire, start_worker: Callable[[], WorkerProcess], language: str
) -> None:
    doomed = start_worker()
    job = wire.job("slow", {"ms": 1000})
    doomed.wait_for_line(f"STARTED {job['jobId']}", timeout=60)
    os.killpg(doomed.proc.pid, signal.SIGKILL)
    doomed.proc.wait(10)

    start_worker()  # the heir: conformance-<language>-1
    result = wire.result(job, timeout=90)
    assert result["status"] == "COMPLETED", result
    assert result["workerId"] == f"conformance-{language}-1", result
    wire.await_committed_to_end("slow", 1)
