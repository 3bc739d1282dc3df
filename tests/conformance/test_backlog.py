"""A backlog of long jobs with a short max.poll.interval.ms: no eviction loop, no job run twice.

With 2 slots, 10 jobs of 2.5 s take ~12.5 s, well over the 7 s poll interval: a worker that stops
polling while its slots are busy is evicted and re-runs its batch. Pausing and polling keeps it in.
"""

from conformance_harness import Wire, WorkerProcess

JOBS = 10
WORKER_ENV = {
    "LEGATO_WORKER_CONCURRENCY": "2",
    "LEGATO_SESSION_TIMEOUT_MS": "6000",  # the broker's group.min.session.timeout.ms
    "LEGATO_MAX_POLL_INTERVAL_MS": "7000",
}


def test_long_jobs_each_run_once_and_all_answer(wire: Wire, worker: WorkerProcess) -> None:
    jobs = [wire.job("slow", {"ms": 2500}) for _ in range(JOBS)]

    results = [wire.result(job, timeout=90) for job in jobs]

    assert [r["status"] for r in results] == ["COMPLETED"] * JOBS
    started = {job["jobId"]: worker.count(f"STARTED {job['jobId']}") for job in jobs}
    assert set(started.values()) == {1}, f"jobs started more than once: {started}{worker.diagnostics()}"
    wire.await_committed_to_end("slow", 1)
    assert sorted(wire.delivered) == sorted(job["jobId"] for job in jobs), "a result was sent twice"
    assert worker.alive(), worker.diagnostics()
