"""Worker metrics (docs/observability.md, "Worker SDKs"): with LEGATO_METRICS_PORT set, the worker
serves the Prometheus text format on 127.0.0.1:<port>/metrics with the same series and labels in
every SDK: jobs by outcome, handler duration (the shared buckets), handlers in flight, slots.
"""

from __future__ import annotations

import math
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from conformance_harness import DEADLINE_S, Wire, WorkerProcess, now_ms, wait_until
from prometheus_client.parser import text_string_to_metric_families

SLOTS = 3
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
# The metrics port is chosen per worker (the fixture below): the dict is read at each start.
WORKER_ENV = {"LEGATO_WORKER_CONCURRENCY": str(SLOTS)}
LABELS = {
    "legato_worker_jobs_total": {"action", "outcome"},
    "legato_worker_handler_duration_seconds_bucket": {"action", "le"},
    "legato_worker_handler_duration_seconds_count": {"action"},
    "legato_worker_handler_duration_seconds_sum": {"action"},
    "legato_worker_jobs_in_flight": {"action"},
    "legato_worker_slots": set(),
    "legato_worker_slots_busy": set(),
    "legato_worker_records_behind": {"action"},
    "legato_worker_stalled": {"action"},
    "legato_worker_stalls_total": {"action"},
}
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-|conformance-")  # a uuid (job/run id) or a worker id

Sample = tuple[str, dict[str, str], float]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scraper:
    def __init__(self, worker: WorkerProcess, port: int) -> None:
        self.worker = worker
        self.url = f"http://127.0.0.1:{port}/metrics"

    def text(self) -> str:
        with urllib.request.urlopen(self.url, timeout=5) as response:
            assert response.status == 200
            return str(response.read().decode())

    def samples(self) -> list[Sample]:
        return [
            (s.name, dict(s.labels), float(s.value))
            for family in text_string_to_metric_families(self.text())
            for s in family.samples
        ]

    def value(self, name: str, **labels: str) -> float | None:
        """The value of the one sample `name` whose labels include `labels` (None if there is none)."""
        found = [v for n, ls, v in self.samples() if n == name and labels.items() <= ls.items()]
        assert len(found) <= 1, (name, labels, found)
        return found[0] if found else None

    def await_value(self, name: str, expected: float, **labels: str) -> None:
        seen: list[float | None] = [None]

        def reached() -> bool:
            seen[0] = self.value(name, **labels)
            return seen[0] == expected

        try:
            wait_until(reached, DEADLINE_S, f"{name}{labels} = {expected}")
        except AssertionError as exc:
            raise AssertionError(f"{exc} (last seen {seen[0]}){self.worker.diagnostics()}") from None


@pytest.fixture(scope="module")
def scraper(start_worker: Callable[[], WorkerProcess]) -> Scraper:
    port = free_port()
    WORKER_ENV["LEGATO_METRICS_PORT"] = str(port)
    worker = start_worker()

    def serving() -> bool:
        if not worker.alive():
            raise AssertionError(f"worker exited{worker.diagnostics()}")
        try:
            Scraper(worker, port).text()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False
        return True

    wait_until(serving, DEADLINE_S, f"the worker's metrics on 127.0.0.1:{port}")
    return Scraper(worker, port)


def test_slots_are_reported_before_any_job(scraper: Scraper) -> None:
    assert scraper.value("legato_worker_slots") == SLOTS
    assert scraper.value("legato_worker_slots_busy") == 0


def test_jobs_are_counted_by_action_and_outcome(wire: Wire, scraper: Scraper) -> None:
    echoes = [wire.job("echo", i) for i in range(2)]
    failing = wire.job("fail", {"n": 1})
    for job in echoes:
        assert wire.result(job)["status"] == "COMPLETED"
    assert wire.result(failing)["status"] == "FAILED"

    scraper.await_value("legato_worker_jobs_total", 2, action="echo", outcome="completed")
    scraper.await_value("legato_worker_jobs_total", 1, action="fail", outcome="failed")
    assert not scraper.value("legato_worker_jobs_total", action="echo", outcome="failed")
    assert not scraper.value("legato_worker_jobs_total", action="fail", outcome="completed")

    # one observation per handler run, failed or not
    scraper.await_value("legato_worker_handler_duration_seconds_count", 2, action="echo")
    scraper.await_value("legato_worker_handler_duration_seconds_count", 1, action="fail")
    total = scraper.value("legato_worker_handler_duration_seconds_sum", action="echo")
    assert total is not None and 0 <= total < 10


def test_a_skipped_job_is_counted_and_not_timed(wire: Wire, scraper: Scraper) -> None:
    stale = wire.job("count", {"stale": True}, deadline_at=now_ms() - 1000)
    wire.await_progress(stale, "SKIPPED")

    scraper.await_value("legato_worker_jobs_total", 1, action="count", outcome="skipped")
    assert not scraper.value("legato_worker_handler_duration_seconds_count", action="count")
    assert not scraper.value("legato_worker_jobs_total", action="count", outcome="completed")


def test_handler_duration_uses_the_shared_buckets(wire: Wire, scraper: Scraper) -> None:
    assert wire.result(wire.job("echo", "buckets"))["status"] == "COMPLETED"
    scraper.await_value("legato_worker_handler_duration_seconds_count", 3, action="echo")

    buckets = {
        float(labels["le"]): value
        for name, labels, value in scraper.samples()
        if name == "legato_worker_handler_duration_seconds_bucket" and labels.get("action") == "echo"
    }
    assert sorted(buckets) == [*BUCKETS, math.inf], sorted(buckets)
    assert buckets[math.inf] == 3
    counts = [buckets[b] for b in sorted(buckets)]
    assert counts == sorted(counts), "buckets are cumulative"


def test_in_flight_and_busy_slots_follow_a_running_handler(wire: Wire, scraper: Scraper) -> None:
    job = wire.job("slow", {"ms": 2500})
    scraper.worker.wait_for_line(f"STARTED {job['jobId']}")
    scraper.await_value("legato_worker_jobs_in_flight", 1, action="slow")
    assert scraper.value("legato_worker_slots_busy") == 1
    assert scraper.value("legato_worker_slots") == SLOTS

    assert wire.result(job)["status"] == "COMPLETED"
    scraper.await_value("legato_worker_jobs_in_flight", 0, action="slow")
    scraper.await_value("legato_worker_slots_busy", 0)
    scraper.await_value("legato_worker_jobs_total", 1, action="slow", outcome="completed")
    duration = scraper.value("legato_worker_handler_duration_seconds_sum", action="slow")
    assert duration is not None and 2.0 <= duration < 30, duration


def test_records_behind_busy_slots_are_counted_and_no_stall_is_reported(wire: Wire, scraper: Scraper) -> None:
    """Jobs wait behind busy slots: records behind > 0 (checked every 5 s from fresh end offsets),
    not a stall (every slot is busy on purpose); 0 again once the backlog is done."""
    assert scraper.value("legato_worker_records_behind", action="slow") == 0
    holding = [wire.job("slow", {"ms": 12_000}) for _ in range(SLOTS)]
    for job in holding:
        scraper.worker.wait_for_line(f"STARTED {job['jobId']}")
    backlog = [wire.job("slow", {"ms": 1}) for _ in range(4 * SLOTS + 3)]

    def behind() -> bool:
        value = scraper.value("legato_worker_records_behind", action="slow")
        return value is not None and value > 0

    wait_until(behind, DEADLINE_S, "records behind > 0 for action slow")
    for job in holding + backlog:
        assert wire.result(job)["status"] == "COMPLETED"
    scraper.await_value("legato_worker_records_behind", 0, action="slow")
    assert scraper.value("legato_worker_stalls_total", action="slow") == 0
    assert scraper.value("legato_worker_stalled", action="slow") == 0


def test_series_have_the_specified_labels_and_no_ids(scraper: Scraper) -> None:
    samples = scraper.samples()
    for name, wanted in LABELS.items():
        of_name = [labels for n, labels, _ in samples if n == name]
        assert of_name, f"{name} is missing"
        for labels in of_name:
            assert set(labels) == wanted, (name, labels)
    for name, labels, _ in samples:
        if name.startswith("legato_worker_"):
            for value in labels.values():
                assert not ID.search(value), (name, labels)
