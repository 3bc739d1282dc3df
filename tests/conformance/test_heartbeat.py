"""Protocol v2 progress: lazy STARTED, coalesced heartbeats, resuming from the last details, pending
details flushed before a failure, and heartbeating attempts that a crash does not redeliver.

The crash test kills the module's worker, so it comes last (tests of a module run in file order).
"""

import itertools
import json
import os
import signal
from collections.abc import Callable

from conformance_harness import Wire, WorkerProcess

WORKER_ENV = {"LEGATO_SESSION_TIMEOUT_MS": "6000"}


def _details(progress: dict[str, object]) -> object:
    text = progress["details"]
    assert isinstance(text, str), progress
    return json.loads(text)


def test_heartbeats_are_coalesced(wire: Wire, worker: WorkerProcess) -> None:
    # heartbeatTimeoutMs 1500 -> one Progress per 500 ms at most; 8 beats of 150 ms take 1200 ms (or
    # more, on a busy machine). The handler then works on for 1500 ms without heartbeating: time for
    # the pending latest details to be sent within its interval, however late the beats ran.
    job = wire.job("heartbeat", {"beats": 8, "intervalMs": 150, "holdMs": 1500}, heartbeat_timeout_ms=1500)
    result = wire.result(job)

    assert result["status"] == "COMPLETED", result
    assert result["output"] is not None
    assert json.loads(result["output"]) == {"done": 8, "resumedFrom": 0, "attempt": job["attempt"]}
    progress = wire.progress_of(job)
    kinds = wire.kinds(job)
    assert kinds[0] == "STARTED", kinds
    assert kinds[-1] == "RESULT", f"Progress after the Result: {kinds}"
    assert set(kinds[1:-1]) <= {"HEARTBEAT"}, kinds
    # STARTED at once (a heartbeating step), the first heartbeat at once, then one per 500 ms at most
    sent = [record["at"] for record in progress[1:]]
    assert all(b - a >= 500 - 50 for a, b in itertools.pairwise(sent)), f"not coalesced: {sent}"
    details = [_details(dict(record)) for record in progress[1:]]
    done = [d["done"] for d in details if isinstance(d, dict)]
    assert done == sorted(done) and len(done) == len(details), details
    assert done[-1] == 8, f"the latest details were not sent: {details}"
    for record in progress:
        for field in ("jobId", "runId", "stepId", "attempt", "action"):
            assert record[field] == job[field], field  # type: ignore[literal-required]
        assert record["workerId"] == worker_id(worker)
        assert record["sdk"] == result["sdk"]
        assert record["reason"] is None
        assert record["startedAt"] <= record["at"]
    assert wire.progress_keys[job["jobId"]] == job["runId"].encode()


def worker_id(worker: WorkerProcess) -> str:
    return f"conformance-{worker.language}-0"


def test_a_retry_resumes_from_the_last_details(wire: Wire, worker: WorkerProcess) -> None:
    job = wire.job(
        "heartbeat",
        {"beats": 6, "intervalMs": 50},
        last_heartbeat_details=json.dumps({"done": 4}),
    )
    result = wire.result(job)

    assert worker.printed(f"RESUMED {job['jobId']} 4"), worker.diagnostics()
    assert result["status"] == "COMPLETED", result
    assert result["output"] is not None
    assert json.loads(result["output"]) == {"done": 6, "resumedFrom": 4, "attempt": job["attempt"]}


def test_start_is_reported_lazily(wire: Wire, worker: WorkerProcess) -> None:
    quick = wire.job("echo", {"quick": True})
    assert wire.result(quick)["status"] == "COMPLETED"
    assert wire.kinds(quick) == ["RESULT"], "a no-op job sent Progress"

    slow = wire.job("slow", {"ms": 1600})  # no heartbeat timeout: STARTED after 1 s of running
    assert wire.result(slow)["status"] == "COMPLETED"
    assert wire.kinds(slow) == ["STARTED", "RESULT"], wire.progress_of(slow)
    started = wire.progress_of(slow)[0]
    assert started["details"] is None, started
    assert started["at"] - started["startedAt"] >= 900, started


def test_a_failure_sends_the_pending_details_first(wire: Wire, worker: WorkerProcess) -> None:
    # no heartbeat timeout: the first heartbeat() sends STARTED with its details at once, the next
    # ones wait for the 10 s interval, so {"done": 4} is still pending when the handler fails
    job = wire.job("heartbeat", {"beats": 10, "intervalMs": 100, "failAt": 4})
    result = wire.result(job)

    assert result["status"] == "FAILED", result
    assert result["failure"] is not None
    assert result["failure"]["type"] == "Interrupted"
    assert result["failure"]["message"] == "failed at 4"
    assert result["failure"]["nonRetryable"] is False
    progress = wire.progress_of(job)
    kinds = wire.kinds(job)
    assert kinds[0] == "STARTED" and kinds[-1] == "RESULT", kinds
    assert _details(dict(progress[0])) == {"done": 1}, progress
    assert _details(dict(progress[-1])) == {"done": 4}, progress


def test_a_heartbeating_attempt_is_not_redelivered_after_a_crash(
    wire: Wire, worker: WorkerProcess, start_worker: Callable[[], WorkerProcess], language: str
) -> None:
    # the orchestrator owns a heartbeating attempt (it retries it on a missed heartbeat): once
    # STARTED is acknowledged the worker stores the job's offset while the handler still runs
    job = wire.job("heartbeat", {"beats": 300, "intervalMs": 100}, heartbeat_timeout_ms=3000)
    wire.await_progress(job, "STARTED")
    wire.await_committed_to_end("heartbeat", 1, timeout=20)
    assert job["jobId"] not in wire.results

    os.killpg(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(10)
    heir = start_worker()
    # same topic and partition, behind the crashed job; runs long enough that a redelivered copy of
    # the crashed job, started before it, would have printed RESUMED by the time it ends
    later = wire.job("heartbeat", {"beats": 3, "intervalMs": 300})
    result = wire.result(later, timeout=90)

    assert result["status"] == "COMPLETED", result
    assert result["workerId"] == f"conformance-{language}-1", result
    assert heir.printed(f"RESUMED {later['jobId']} 0"), heir.diagnostics()
    assert not heir.printed(f"RESUMED {job['jobId']}"), "the crashed attempt ran again" + heir.diagnostics()
    assert job["jobId"] not in wire.results
    wire.await_committed_to_end("heartbeat", 1)
