"""A second worker joins while jobs are in flight: every job is answered, offsets reach the end.

The rebalance moves partitions between members; a job whose partition moved may run again on its
new owner (at least once), but none is lost and no offset is committed past a job in flight.
"""

from collections.abc import Callable

from conformance_harness import Wire, WorkerProcess

JOB_PARTITIONS = 4
JOBS = 16
WORKER_ENV = {"LEGATO_WORKER_CONCURRENCY": "2", "LEGATO_SESSION_TIMEOUT_MS": "6000"}


def test_jobs_in_flight_survive_a_join(wire: Wire, start_worker: Callable[[], WorkerProcess]) -> None:
    first = start_worker()
    # every partition holds jobs, so whichever partitions the join moves, some move in flight
    jobs = [wire.job("slow", {"ms": 1000}, partition=n % JOB_PARTITIONS) for n in range(JOBS)]
    first.wait_for_line("STARTED ", timeout=60)  # jobs in flight

    second = start_worker()
    results = [wire.result(job, timeout=120) for job in jobs]

    assert [r["status"] for r in results] == ["COMPLETED"] * JOBS
    wire.await_committed_to_end("slow", JOB_PARTITIONS, timeout=60)
    runs = {
        job["jobId"]: first.count(f"STARTED {job['jobId']}") + second.count(f"STARTED {job['jobId']}")
        for job in jobs
    }
    assert min(runs.values()) >= 1, runs
    assert first.alive() and second.alive(), first.diagnostics() + second.diagnostics()
