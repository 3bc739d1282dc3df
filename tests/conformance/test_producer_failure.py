"""Results that cannot be delivered for a while are re-sent, not recomputed.

The results topic does not exist when the job runs (the broker never auto-creates topics), so the
result cannot be delivered. The outage outlasts librdkafka's topic.metadata.propagation.max.ms
(30 s), after which a pending send fails: the worker must keep the computed result and send it
again. Once the topic exists the result arrives; the handler ran exactly once.

The outage is the cost, the same for one worker as for three: every selected SDK's worker goes
through one outage side by side, each on its own topics, and each is judged apart.
"""

import time
import uuid
from pathlib import Path

from conformance_harness import Wire, WorkerProcess

WORKER_ENV = {"LEGATO_CREATE_TOPICS": "false"}
OUTAGE_S = 35


def test_result_is_resent_after_the_outage(
    conformance_kafka: str, languages: list[str], tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    wires: dict[str, Wire] = {}
    try:
        for language in languages:
            wire = Wire(conformance_kafka, f"conf-{language}-producer-failure-{run}")
            wire.create_topics(1, results=False)
            env = {**wire.env(f"conformance-{language}-0"), **WORKER_ENV}
            wire.worker = WorkerProcess(language, env, tmp_path / f"{language}-stderr.log")
            wires[language] = wire
        jobs = {language: wire.job("count", {"n": 1}) for language, wire in wires.items()}
        for language, wire in wires.items():
            assert wire.worker is not None
            wire.worker.wait_for_line(f"RAN {jobs[language]['jobId']}", timeout=60)

        time.sleep(OUTAGE_S)  # the fault itself: the results topic stays missing this long
        for language, wire in wires.items():
            assert wire.worker is not None
            assert wire.worker.alive(), (
                f"the {language} worker stopped on a transient delivery failure" + wire.worker.diagnostics()
            )
            wire.create_results_topic()

        for language, wire in wires.items():
            assert wire.worker is not None
            job = jobs[language]
            result = wire.result(job, timeout=90)
            assert result["status"] == "COMPLETED", (language, result)
            assert wire.worker.count(f"RAN {job['jobId']}") == 1, (
                f"the {language} handler ran again" + wire.worker.diagnostics()
            )
            wire.await_committed_to_end("count", 1)
            assert wire.worker.alive(), wire.worker.diagnostics()
    finally:
        for wire in wires.values():
            if wire.worker is not None:
                wire.worker.stop()
            wire.close()
