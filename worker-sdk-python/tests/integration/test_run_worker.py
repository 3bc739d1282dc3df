"""The conformance run-worker process: the issue-10 actions, and exit codes."""

import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from legato_worker import WorkerSettings

pytestmark = pytest.mark.integration

RUN_WORKER = Path(__file__).resolve().parents[2] / "conformance" / "run-worker"


def env_of(settings: WorkerSettings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "LEGATO_KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "LEGATO_JOBS_TOPIC": settings.jobs_topic,
        "LEGATO_RESULTS_TOPIC": settings.results_topic,
        "LEGATO_GROUP_PREFIX": settings.group_prefix,
        "LEGATO_JOB_PARTITIONS": "1",
        "LEGATO_WORKER_ID": "run-worker-test",
        **extra,
    }


def test_new_actions(kafka: Any, settings: WorkerSettings) -> None:
    proc = subprocess.Popen(
        [str(RUN_WORKER)],
        env=env_of(settings, LEGATO_MAX_PAYLOAD_BYTES="5000"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.strip() for line in proc.stdout or []))
    reader.start()
    try:
        jobs = {
            "count": kafka.job("count", {}),
            "big": kafka.job("big", {"bytes": 6000}),
            "small": kafka.job("big", {"bytes": 10}),
            "nan": kafka.job("nan", {}),
            "recurse": kafka.job("recurse", {}),
        }
        results = {name: kafka.result(job, timeout=60) for name, job in jobs.items()}
        assert results["count"]["output"] == '{"ok":true}'
        assert f"RAN {jobs['count']['jobId']}" in lines
        assert results["small"]["output"] == '"xxxxxxxxxx"'
        failures = {n: (r["failure"] or {}).get("type") for n, r in results.items()}
        assert failures["big"] == "ResultTooLarge"
        assert failures["nan"] == "SerializationError"
        assert failures["recurse"] == "RecursionError"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        reader.join(5)
        if proc.stdout is not None:
            proc.stdout.close()


def test_exits_1_when_kafka_cannot_be_reached(settings: WorkerSettings) -> None:
    env = env_of(settings, LEGATO_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    done = subprocess.run([str(RUN_WORKER)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "cannot reach Kafka" in done.stderr
