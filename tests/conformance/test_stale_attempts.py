"""Protocol v2: a worker never starts a stale attempt. A Job past its start-by time (deadlineAt) or
withdrawn by a Cancel is skipped: Progress SKIPPED with the reason, the handler never runs (`count`
prints no RAN), the offset is committed past it and the next Job runs.

The module's worker starts only after a Cancel was produced (and the Jobs it withdraws): a worker
reads the control topic up to its end before it starts any Job.
"""

from collections.abc import Callable

import pytest
from conformance_harness import Wire, WorkerProcess, now_ms

from legato_protocol import Job


class Started:
    def __init__(self, worker: WorkerProcess, withdrawn_before_start: list[Job]) -> None:
        self.worker = worker
        self.withdrawn_before_start = withdrawn_before_start


@pytest.fixture(scope="module")
def started(wire: Wire, start_worker: Callable[[], WorkerProcess]) -> Started:
    early = wire.make_job("count", {"early": True})
    late = wire.make_job("count", {"late": True})
    wire.cancel(early, "RunCancelled")
    wire.cancel(late, "Superseded")
    wire.send(early)  # queued before the worker exists
    worker = start_worker()
    wire.send(late)  # produced once it runs
    return Started(worker, [early, late])


def assert_skipped(wire: Wire, worker: WorkerProcess, job: Job, reason: str) -> None:
    progress = wire.await_progress(job, "SKIPPED")
    assert [p["kind"] for p in progress] == ["SKIPPED"], progress
    skipped = progress[0]
    assert skipped["reason"] == reason, skipped
    for field in ("jobId", "runId", "stepId", "attempt", "action"):
        assert skipped[field] == job[field], field  # type: ignore[literal-required]
    assert skipped["workerId"] == f"conformance-{worker.language}-0"
    assert skipped["sdk"].startswith(f"{worker.language}/")
    assert skipped["details"] is None
    assert wire.progress_keys[job["jobId"]] == job["runId"].encode()
    assert not worker.printed(f"RAN {job['jobId']}"), "the handler ran" + worker.diagnostics()
    assert job["jobId"] not in wire.results


def test_a_job_past_its_deadline_is_skipped(wire: Wire, started: Started) -> None:
    stale = wire.job("count", {"stale": True}, deadline_at=now_ms() - 1000)
    fresh = wire.job("count", {"fresh": True}, deadline_at=now_ms() + 600_000)

    assert wire.result(fresh)["status"] == "COMPLETED"
    assert_skipped(wire, started.worker, stale, "DeadlinePassed")
    assert started.worker.printed(f"RAN {fresh['jobId']}")
    wire.await_committed_to_end("count", 1)


def test_a_cancel_made_while_no_worker_ran_is_honoured(wire: Wire, started: Started) -> None:
    after = wire.job("count", {"after": True})
    assert wire.result(after)["status"] == "COMPLETED"
    for job in started.withdrawn_before_start:
        assert_skipped(wire, started.worker, job, "Withdrawn")
    wire.await_committed_to_end("count", 1)


def test_a_cancel_before_its_job_withdraws_it(wire: Wire, started: Started) -> None:
    worker = started.worker
    # A Cancel is only observable on a running job, so a running `wait-cancel` job is the fence:
    # once its CANCELLED line is printed, the worker has read the Cancel produced before it.
    fence = wire.job("wait-cancel", {"ms": 30000})
    worker.wait_for_line(f"STARTED {fence['jobId']}")
    withdrawn = wire.make_job("count", {"withdrawn": True})
    wire.cancel(withdrawn, "RunCancelled")
    wire.cancel(fence, "RunCancelled")
    worker.wait_for_line(f"CANCELLED {fence['jobId']} RunCancelled")

    wire.send(withdrawn)
    after = wire.job("count", {"after": True})
    assert wire.result(after)["status"] == "COMPLETED"
    assert_skipped(wire, worker, withdrawn, "Withdrawn")
    wire.await_committed_to_end("count", 1)
