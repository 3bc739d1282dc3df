"""Results that cannot be delivered for a while are re-sent, not recomputed.

The results topic does not exist when the job runs (the broker never auto-creates topics), so the
result cannot be delivered. The outage outlasts librdkafka's topic.metadata.propagation.max.ms
(30 s), after which a pending send fails: the worker must keep the computed result and send it
again. Once the topic exists the result arrives; the handler ran exactly once.
"""

import time

from conformance_harness import Wire, WorkerProcess

CREATE_RESULTS_TOPIC = False
WORKER_ENV = {"LEGATO_CREATE_TOPICS": "false"}
OUTAGE_S = 35


def test_result_is_resent_after_the_outage(wire: Wire, worker: WorkerProcess) -> None:
    job = wire.job("count", {"n": 1})
    worker.wait_for_line(f"RAN {job['jobId']}", timeout=60)

    time.sleep(OUTAGE_S)  # the fault itself: the results topic stays missing this long
    assert worker.alive(), "the worker stopped on a transient delivery failure" + worker.diagnostics()
    wire.create_results_topic()

    result = wire.result(job, timeout=90)
    assert result["status"] == "COMPLETED", result
    assert worker.count(f"RAN {job['jobId']}") == 1, "the handler ran again" + worker.diagnostics()
    wire.await_committed_to_end("count", 1)
    assert worker.alive(), worker.diagnostics()
