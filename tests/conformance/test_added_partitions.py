"""Partitions added to an action's topic while a worker runs are consumed within seconds.

Every SDK's job consumer looks at its topic's metadata again every 10 s (docs/protocol.md "Worker
behaviour"), so a partition count that changed, or a topic that was still being created on the
broker it first asked (a new topic on a multi-broker cluster), makes the group rebalance onto every
partition. The clients' default is 5 minutes: jobs on the new partitions would wait that long.
"""

from conformance_harness import Wire, WorkerProcess

NOTICED_WITHIN_S = 40  # the 10 s refresh, a rebalance, and a slow worker start on a busy CI box


def test_jobs_on_partitions_added_later_are_run(wire: Wire, worker: WorkerProcess) -> None:
    first = wire.job("echo", "before")
    assert wire.result(first)["status"] == "COMPLETED"  # the worker owns the topic's one partition

    wire.add_partitions("echo", 3)
    later = [wire.job("echo", f"on {p}", partition=p) for p in (1, 2)]

    for job in later:
        assert wire.result(job, timeout=NOTICED_WITHIN_S)["status"] == "COMPLETED", worker.diagnostics()
    assert worker.alive(), worker.diagnostics()
