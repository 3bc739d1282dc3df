"""A backlog of long jobs: the worker takes only what it can run and keeps polling, so it is never
evicted by max.poll.interval.ms and never runs a job twice."""

import collections
import dataclasses
import threading
import time
from typing import Any

import pytest

from legato_worker import Worker, WorkerSettings

pytestmark = pytest.mark.integration

JOBS = 8
JOB_S = 2.5  # 8 jobs x 2.5 s on 2 slots = 10 s, well past the 6 s poll interval


def test_backlog_of_long_jobs_runs_each_job_exactly_once(
    kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    settings = dataclasses.replace(
        settings, concurrency=2, max_poll_interval_ms=6000, session_timeout_ms=6000
    )
    kafka.settings = settings
    kafka.create_topics(["long"], partitions=1)
    runs: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    running = 0
    most_running = 0

    def long_job(payload: Any) -> Any:
        nonlocal running, most_running
        with lock:
            runs[payload["n"]] += 1
            running += 1
            most_running = max(most_running, running)
        time.sleep(JOB_S)  # the job's work
        with lock:
            running -= 1
        return payload["n"]

    jobs = [kafka.job("long", {"n": str(i)}, flush=False) for i in range(JOBS)]
    kafka.producer.flush(30)
    worker = Worker(settings=settings)
    worker.register("long", long_job)
    started = run_worker(worker)

    results = [kafka.result(job, timeout=60) for job in jobs]
    assert [r["status"] for r in results] == ["COMPLETED"] * JOBS
    kafka.wait_until(lambda: kafka.committed("long") == JOBS, 15, "all offsets committed")
    started.stop()
    assert runs == {str(i): 1 for i in range(JOBS)}, f"jobs ran more than once: {runs}"
    assert most_running <= 2
