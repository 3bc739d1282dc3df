"""A worker with LEGATO_METRICS_PORT serves its metrics while it runs jobs from real Kafka."""

import socket
import urllib.request
from dataclasses import replace
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from legato_worker import ApplicationError, Worker, WorkerSettings

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_jobs_are_counted_and_timed(kafka: Any, settings: WorkerSettings, run_worker: Any) -> None:
    kafka.create_topics(["ok", "boom"])
    port = free_port()
    worker = Worker(settings=replace(settings, metrics_port=port, concurrency=3))
    worker.register("ok", lambda payload: payload)

    @worker.action("boom")
    def boom(payload: Any) -> Any:
        raise ApplicationError("no", type="Boom")

    jobs = [kafka.job("ok", 1), kafka.job("ok", 2), kafka.job("boom", 3)]
    running = run_worker(worker)
    assert [kafka.result(j)["status"] for j in jobs] == ["COMPLETED", "COMPLETED", "FAILED"]

    def counted() -> bool:
        seen = scrape(port)
        return (
            seen.get(("legato_worker_jobs_total", (("action", "ok"), ("outcome", "completed")))) == 2
            and seen.get(("legato_worker_jobs_total", (("action", "boom"), ("outcome", "failed")))) == 1
        )

    kafka.wait_until(counted, what="the jobs counted on /metrics")
    seen = scrape(port)
    assert seen[("legato_worker_handler_duration_seconds_count", (("action", "ok"),))] == 2
    assert seen[("legato_worker_slots", ())] == 3
    assert seen[("legato_worker_slots_busy", ())] == 0
    assert seen[("legato_worker_jobs_in_flight", (("action", "boom"),))] == 0

    running.stop()
    with socket.socket() as s:  # nothing listens there any more (TIME_WAIT aside)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()  # the server stopped with the worker
