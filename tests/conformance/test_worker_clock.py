"""One injectable wall clock (docs/protocol.md, item 14): the `deadlineAt` check and every time on
the wire (Progress `at`, Result `startedAt`/`finishedAt`) come from the worker's clock, which the
conformance worker sets to the system clock plus LEGATO_CONFORMANCE_CLOCK_OFFSET_MS.

Two workers, one after the other on the same group (each call of `start_worker` adds one): one a
minute ahead of the harness, then one a minute behind. A 30 s margin either way tells the worker's
clock from the system's, however slow the machine.
"""

from collections.abc import Callable

from conformance_harness import Wire, WorkerProcess, now_ms

OFFSET_MS = 60_000
MARGIN_MS = 30_000
SLACK_MS = 5_000  # the worker's clock read after (ahead) or before (behind) the harness's


def clocked(start_worker: Callable[..., WorkerProcess], offset_ms: int) -> WorkerProcess:
    return start_worker({"LEGATO_CONFORMANCE_CLOCK_OFFSET_MS": str(offset_ms)})


def test_a_clock_ahead_skips_a_job_not_due_yet(
    wire: Wire, start_worker: Callable[..., WorkerProcess]
) -> None:
    worker = clocked(start_worker, OFFSET_MS)
    sent = now_ms()
    job = wire.job("count", {"ahead": True}, deadline_at=sent + MARGIN_MS)

    progress = wire.await_progress(job, "SKIPPED")
    assert [p["kind"] for p in progress] == ["SKIPPED"], progress
    assert progress[0]["reason"] == "DeadlinePassed", progress
    assert progress[0]["at"] >= sent + OFFSET_MS - SLACK_MS, f"`at` not from the worker's clock: {progress}"
    assert not worker.printed(f"RAN {job['jobId']}"), "the handler ran" + worker.diagnostics()
    worker.terminate()  # the next worker takes over the group
    assert worker.wait(timeout=20) == 0, "exit code after SIGTERM" + worker.diagnostics()


def test_a_clock_behind_runs_a_job_past_its_deadline(
    wire: Wire, start_worker: Callable[..., WorkerProcess]
) -> None:
    worker = clocked(start_worker, -OFFSET_MS)
    job = wire.job("count", {"behind": True}, deadline_at=now_ms() - MARGIN_MS)

    result = wire.result(job)
    answered = now_ms()
    assert result["status"] == "COMPLETED", result
    assert worker.printed(f"RAN {job['jobId']}"), worker.diagnostics()
    assert result["startedAt"] <= answered - OFFSET_MS + SLACK_MS, f"not the worker's clock: {result}"
    assert result["startedAt"] <= result["finishedAt"] <= answered - OFFSET_MS + SLACK_MS, result
    assert wire.kinds(job) == ["RESULT"], wire.progress_of(job)
