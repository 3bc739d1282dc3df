"""An ActionConsumer for unit tests: its Kafka client never connects (the tests swap it for a
scripted one), and `time.monotonic` reads the returned list's first element."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import cast

import pytest

from legato_worker._consumer import ActionConsumer
from legato_worker._executor import Executor
from legato_worker._metrics import NO_METRICS
from legato_worker._publisher import Publisher

TOPIC = "workflow-jobs.charge"


def action_consumer(monkeypatch: pytest.MonkeyPatch) -> tuple[ActionConsumer, list[float]]:
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    action = ActionConsumer(
        TOPIC,
        {"bootstrap.servers": "127.0.0.1:1", "group.id": "g"},
        {},
        cast(Executor, SimpleNamespace(metrics=NO_METRICS)),
        cast(Publisher, None),
        action="charge",
        stall_timeout_ms=0,
        results_topic="workflow-results",
        dlt_topic="workflow-jobs.DLT",
        worker_id="w",
        max_payload_bytes=1_000_000,
        on_fatal=lambda _: None,
    )
    return action, now
