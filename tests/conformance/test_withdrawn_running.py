"""A withdrawn attempt whose handler keeps running pins nothing and sends nothing (docs/protocol.md,
item 15): once a Cancel for it is read, no more Progress goes out for it, and its job counts as done
for offset storage, so a later job of its partition that completes moves the committed offset past
it while the handler still runs. Its Result still goes out when it ends (ignored upstream).

The `ignore-cancel` handler sleeps through its cancellation and prints `IGNORED <jobId> <reason>`
at the end. The later job is an `echo` job on the same topic (the partition is per topic). Two
cases: the heartbeating attempt of the issue, whose heartbeats must stop, and one without a
heartbeat timeout, whose offset nothing else would store before its Result (a heartbeating job's
is stored once its STARTED is acknowledged, item 16).
"""

import json

from conformance_harness import Wire, WorkerProcess

from legato_protocol import Job

RUNS_MS = 12000  # the first handler's run: the later job's commit (auto-commit, 5 s) fits in it
# A worker reads a Cancel within a second (docs/protocol.md item 15) and heartbeats go out every
# 500 ms here (heartbeatTimeoutMs 1500 / 3): two may leave before it reads the Cancel, one more be on
# its way. Without the rule, about 22 more follow (12 s of a heartbeat every 500 ms).
AT_MOST_AFTER_CANCEL = 3


def withdraw_while_running(wire: Wire, worker: WorkerProcess, job: Job) -> None:
    """Cancel the running `job`, complete a later job of its partition, and check that the
    committed offset passes both before the first handler ends; then its late Result."""
    wire.read_to_end()
    sent_before = len(wire.progress_of(job))
    wire.cancel(job, "RunCancelled")
    later = wire.job("echo", {"later": True}, topic_action="ignore-cancel")

    assert wire.result(later)["status"] == "COMPLETED"
    wire.await_committed_to_end("ignore-cancel", 1, timeout=RUNS_MS / 1000)
    assert not worker.printed(f"IGNORED {job['jobId']}"), (
        "the offset moved only once the withdrawn handler had ended" + worker.diagnostics()
    )

    result = wire.result(job, timeout=RUNS_MS / 1000 + 30)
    worker.wait_for_line(f"IGNORED {job['jobId']} RunCancelled", timeout=5)
    assert result["status"] == "COMPLETED", result
    assert result["output"] is not None and json.loads(result["output"]) == {"ignored": True}, result
    wire.read_to_end()
    after = wire.progress_of(job)[sent_before:]
    brief = [(p["kind"], p["details"]) for p in after]
    assert len(after) <= AT_MOST_AFTER_CANCEL, f"{len(after)} Progress records after the Cancel: {brief}"
    assert wire.kinds(job)[-1] == "RESULT", f"Progress after the Result: {wire.kinds(job)}"


def test_a_withdrawn_heartbeating_attempt_stops_reporting(wire: Wire, worker: WorkerProcess) -> None:
    job = wire.job("ignore-cancel", {"ms": RUNS_MS, "heartbeat": True}, heartbeat_timeout_ms=1500)
    worker.wait_for_line(f"STARTED {job['jobId']}")
    wire.await_progress(job, "HEARTBEAT")  # heartbeats flow: one per 500 ms from here
    withdraw_while_running(wire, worker, job)


def test_a_withdrawn_attempt_pins_no_offset(wire: Wire, worker: WorkerProcess) -> None:
    job = wire.job("ignore-cancel", {"ms": RUNS_MS})
    worker.wait_for_line(f"STARTED {job['jobId']}")
    withdraw_while_running(wire, worker, job)
