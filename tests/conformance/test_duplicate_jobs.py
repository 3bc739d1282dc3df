"""Protocol v2, item 17: a job delivered twice runs once. The same Job record, produced again while
its first copy runs or after it ended (what the orchestrator's outbox does when a crash kept it from
confirming a publication), is not started again: no handler call, no Progress, no Result, and its
offset is committed like any other."""

from conformance_harness import Wire, WorkerProcess


def test_a_copy_of_a_running_job_is_not_started(wire: Wire, worker: WorkerProcess) -> None:
    slow = wire.job("slow", {"ms": 3000})
    worker.wait_for_line(f"STARTED {slow['jobId']}")
    wire.send(slow)  # the same record, while the first copy runs
    assert wire.result(slow)["status"] == "COMPLETED"
    fence = wire.job("slow", {"ms": 1})  # produced after the copy: its result means the copy was read
    assert wire.result(fence)["status"] == "COMPLETED"
    wire.read_to_end()
    assert worker.count(f"STARTED {slow['jobId']}") == 1, worker.diagnostics()
    assert wire.delivered.count(slow["jobId"]) == 1
    assert [p["kind"] for p in wire.progress.get(slow["jobId"], [])] == ["STARTED"]  # the lazy one
    wire.await_committed_to_end("slow", 1)


def test_a_copy_of_an_ended_job_is_not_started(wire: Wire, worker: WorkerProcess) -> None:
    once = wire.job("count", {"once": True})
    assert wire.result(once)["status"] == "COMPLETED"
    wire.send(once)  # the same record, after it ended
    fence = wire.job("count", {"fence": True})
    assert wire.result(fence)["status"] == "COMPLETED"
    wire.read_to_end()
    assert worker.count(f"RAN {once['jobId']}") == 1, worker.diagnostics()
    assert wire.delivered.count(once["jobId"]) == 1
    assert wire.progress.get(once["jobId"], []) == []
    wire.await_committed_to_end("count", 1)
