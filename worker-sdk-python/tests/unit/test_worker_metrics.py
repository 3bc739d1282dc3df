"""Worker metrics (docs/observability.md, "Worker SDKs"): the setting, the series, off by default."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request

import pytest
from prometheus_client import CollectorRegistry

from legato_worker import WorkerSettings
from legato_worker._metrics import BUCKETS, NO_METRICS, PrometheusMetrics, serve

pytestmark = pytest.mark.unit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_metrics_are_off_unless_a_port_is_set() -> None:
    assert WorkerSettings.from_env({}).metrics_port is None
    on = WorkerSettings.from_env({"LEGATO_METRICS_PORT": " 9464 "})
    assert on.metrics_port == 9464 and on.metrics_host == "127.0.0.1"
    assert WorkerSettings.from_env(
        {"LEGATO_METRICS_PORT": "9464", "LEGATO_METRICS_HOST": "0.0.0.0"}
    ).metrics_host == ("0.0.0.0")
    assert WorkerSettings.from_env({"LEGATO_METRICS_PORT": "  "}).metrics_port is None


@pytest.mark.parametrize("raw", ["0", "65536", "-1", "http", "94.64"])
def test_an_invalid_port_names_the_variable(raw: str) -> None:
    with pytest.raises(ValueError, match="LEGATO_METRICS_PORT"):
        WorkerSettings.from_env({"LEGATO_METRICS_PORT": raw})


def test_prometheus_client_is_not_imported_when_off() -> None:
    code = (
        "import sys\n"
        "from legato_worker import Worker, WorkerSettings\n"
        "w = Worker(WorkerSettings.from_env({}))\n"
        "print('prometheus_client' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_no_metrics_records_nothing() -> None:
    NO_METRICS.handler_started("a")
    NO_METRICS.handler_ended("a", 0.1, failed=False)
    NO_METRICS.skipped("a")
    NO_METRICS.records_behind("a", 5)
    NO_METRICS.stall_began("a")
    NO_METRICS.stall_ended("a")
    NO_METRICS.close()


def test_series_by_action_and_outcome() -> None:
    registry = CollectorRegistry()
    busy = [0]
    m = PrometheusMetrics(registry, ["charge", "ship"], 4, lambda: busy[0])
    get = registry.get_sample_value

    assert get("legato_worker_slots") == 4
    assert get("legato_worker_slots_busy") == 0
    assert get("legato_worker_jobs_total", {"action": "charge", "outcome": "completed"}) == 0

    m.handler_started("charge")
    busy[0] = 1
    assert get("legato_worker_jobs_in_flight", {"action": "charge"}) == 1
    assert get("legato_worker_slots_busy") == 1
    m.handler_ended("charge", 0.2, failed=False)
    m.handler_started("charge")
    m.handler_ended("charge", 7.0, failed=True)
    m.skipped("ship")

    assert get("legato_worker_jobs_in_flight", {"action": "charge"}) == 0
    assert get("legato_worker_jobs_total", {"action": "charge", "outcome": "completed"}) == 1
    assert get("legato_worker_jobs_total", {"action": "charge", "outcome": "failed"}) == 1
    assert get("legato_worker_jobs_total", {"action": "ship", "outcome": "skipped"}) == 1
    assert get("legato_worker_handler_duration_seconds_count", {"action": "charge"}) == 2
    assert get("legato_worker_handler_duration_seconds_sum", {"action": "charge"}) == pytest.approx(7.2)
    assert get("legato_worker_handler_duration_seconds_bucket", {"action": "charge", "le": "0.25"}) == 1
    assert get("legato_worker_handler_duration_seconds_bucket", {"action": "charge", "le": "10.0"}) == 2
    assert get("legato_worker_handler_duration_seconds_count", {"action": "ship"}) == 0


def test_consumer_watch_series_by_action() -> None:
    registry = CollectorRegistry()
    m = PrometheusMetrics(registry, ["charge", "ship"], 4, lambda: 0)
    get = registry.get_sample_value
    for action in ("charge", "ship"):  # every registered action, from the start
        assert get("legato_worker_records_behind", {"action": action}) == 0
        assert get("legato_worker_stalled", {"action": action}) == 0
        assert get("legato_worker_stalls_total", {"action": action}) == 0

    m.records_behind("charge", 12)
    m.stall_began("charge")
    assert get("legato_worker_records_behind", {"action": "charge"}) == 12
    assert get("legato_worker_stalled", {"action": "charge"}) == 1
    assert get("legato_worker_stalls_total", {"action": "charge"}) == 1
    m.stall_ended("charge")
    m.records_behind("charge", 0)
    assert get("legato_worker_stalled", {"action": "charge"}) == 0
    assert get("legato_worker_stalls_total", {"action": "charge"}) == 1
    assert get("legato_worker_records_behind", {"action": "charge"}) == 0
    assert get("legato_worker_stalls_total", {"action": "ship"}) == 0


def test_buckets_are_the_shared_ones() -> None:
    assert BUCKETS == (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def test_serve_binds_the_host_and_stops_on_close() -> None:
    port = free_port()
    m = serve("127.0.0.1", port, ["charge"], 2, lambda: 0)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
        assert 'legato_worker_jobs_total{action="charge",outcome="completed"} 0.0' in text
        assert "legato_worker_slots 2.0" in text
        assert 'legato_worker_records_behind{action="charge"} 0.0' in text
        assert 'legato_worker_stalled{action="charge"} 0.0' in text
        assert 'legato_worker_stalls_total{action="charge"} 0.0' in text
        assert "python_gc" not in text  # its own registry, not the process-wide default one
    finally:
        m.close()
    with socket.socket() as s:  # nothing listens there any more (TIME_WAIT aside)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()  # free again
