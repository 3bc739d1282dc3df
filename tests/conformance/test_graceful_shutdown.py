"""SIGTERM lets the in-flight Job finish: its Result is written, its offset committed, exit 0."""

from conformance_harness import Wire, WorkerProcess


def test_sigterm_drains_the_job_in_flight(wire: Wire, worker: WorkerProcess) -> None:
    job = wire.job("slow", {"ms": 1500})
    worker.wait_for_line(f"STARTED {job['jobId']}")

    worker.terminate()
    assert worker.wait(timeout=20) == 0, "exit code after SIGTERM" + worker.diagnostics()

    result = wire.result(job, timeout=5)
    assert result["status"] == "COMPLETED", result
    assert result["output"] is not None
    assert result["output"].replace(" ", "") == '{"slept":1500}'
    assert wire.committed("slow") == 1, "the drained job's offset was not committed"
