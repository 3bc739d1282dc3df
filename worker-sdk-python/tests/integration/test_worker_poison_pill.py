"""An undecodable job goes to the DLT with its origin in headers, and the next job still runs."""

from typing import Any

import pytest

from legato_protocol import headers
from legato_worker import Worker, WorkerSettings

pytestmark = pytest.mark.integration


def test_poison_pill_reaches_dlt_and_next_job_runs(
    kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    kafka.create_topics(["echo"])
    worker = Worker(settings=settings)
    worker.register("echo", lambda payload: payload)
    kafka.raw("echo", b"\x00garbage\xff", b"poison-key")
    good = kafka.job("echo", "after the pill")
    running = run_worker(worker)

    assert kafka.result(good)["status"] == "COMPLETED"
    [dead] = kafka.dead_letters(1)
    assert dead.value() == b"\x00garbage\xff"
    assert dead.key() == b"poison-key"
    found = {k: v.decode() for k, v in dead.headers()}
    assert found[headers.DLT_REASON] == headers.REASON_UNDECODABLE
    assert found[headers.ERROR_TYPE] == "DecodeError"
    assert found[headers.ERROR_MESSAGE]
    assert found[headers.SOURCE_TOPIC] == f"{settings.jobs_topic}.echo"
    assert found[headers.SOURCE_PARTITION] == "0"
    assert found[headers.SOURCE_OFFSET] == "0"
    assert found[headers.WORKER_ID] == "it-worker"
    assert int(found[headers.FAILED_AT]) > 0
    running.stop()
    assert kafka.committed("echo") == 2
