"""LEGATO_* environment variables, same names and defaults as every other SDK."""

import os

import pytest

from legato_worker import WorkerSettings

pytestmark = pytest.mark.unit


def test_defaults() -> None:
    s = WorkerSettings.from_env({})
    assert s.bootstrap_servers == "localhost:9092"
    assert s.jobs_topic == "workflow-jobs"
    assert s.results_topic == "workflow-results"
    assert s.group_prefix == "legato-workers"
    assert s.job_partitions == 6
    assert s.worker_id.endswith(f"-{os.getpid()}")
    assert s.concurrency == 16
    assert s.shutdown_timeout_ms == 30000
    assert s.log_level == "INFO"


def test_every_variable_is_read() -> None:
    s = WorkerSettings.from_env(
        {
            "LEGATO_KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9092",
            "LEGATO_JOBS_TOPIC": "t-jobs",
            "LEGATO_RESULTS_TOPIC": "t-results",
            "LEGATO_GROUP_PREFIX": "g",
            "LEGATO_JOB_PARTITIONS": "3",
            "LEGATO_WORKER_ID": "w-1",
            "LEGATO_WORKER_CONCURRENCY": "4",
            "LEGATO_SHUTDOWN_TIMEOUT_MS": "1500",
            "LEGATO_LOG_LEVEL": "debug",
        }
    )
    assert (s.bootstrap_servers, s.jobs_topic, s.results_topic) == (
        "k1:9092,k2:9092",
        "t-jobs",
        "t-results",
    )
    assert (s.group_prefix, s.job_partitions, s.worker_id) == ("g", 3, "w-1")
    assert (s.concurrency, s.shutdown_timeout_ms, s.log_level) == (4, 1500, "DEBUG")


def test_empty_values_keep_defaults() -> None:
    s = WorkerSettings.from_env({"LEGATO_WORKER_ID": "", "LEGATO_JOB_PARTITIONS": ""})
    assert s.job_partitions == 6
    assert s.worker_id


def test_os_environ_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_WORKER_ID", "from-env")
    assert WorkerSettings.from_env().worker_id == "from-env"


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("LEGATO_WORKER_CONCURRENCY", "many", "LEGATO_WORKER_CONCURRENCY must be an integer"),
        ("LEGATO_WORKER_CONCURRENCY", "0", "concurrency must be at least 1"),
        ("LEGATO_JOB_PARTITIONS", "-1", "job_partitions must be at least 1"),
        ("LEGATO_LOG_LEVEL", "LOUD", "log_level must be one of"),
    ],
)
def test_bad_values_name_the_problem(name: str, value: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        WorkerSettings.from_env({name: value})
