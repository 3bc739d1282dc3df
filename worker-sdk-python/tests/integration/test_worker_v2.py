"""Protocol v2 on real Kafka, the parts the conformance suite does not reach in Python: async
handlers (asyncio cancellation, heartbeats through the context parameter), heartbeat details
checked at the call, and the control topic (created with a day's retention, or awaited)."""

import asyncio
import itertools
import json
import logging
import threading
from dataclasses import replace
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
from confluent_kafka.cimpl import NewTopic

from legato_worker import JobContext, SerializationError, Worker, WorkerSettings

pytestmark = pytest.mark.integration


def test_a_cancel_cancels_an_async_handler_task(
    kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    kafka.create_topics(["wait"])
    worker = Worker(settings=settings)
    running = threading.Event()
    seen: list[str] = []

    @worker.action("wait")
    async def wait(payload: Any, ctx: JobContext) -> Any:
        running.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen.append(f"{ctx.cancelled.is_set()} {ctx.cancel_reason}")
            raise
        return "not cancelled"

    job = kafka.job("wait", {})
    run_worker(worker)
    assert running.wait(30), "the handler never started"
    kafka.cancel(job, "Superseded")

    result = kafka.result(job, timeout=10)
    assert result["status"] == "FAILED", result
    assert result["failure"]["type"] == "AttemptCancelled"
    assert "Superseded" in result["failure"]["message"]
    assert seen == ["True Superseded"]


def test_async_heartbeats_report_progress(kafka: Any, settings: WorkerSettings, run_worker: Any) -> None:
    kafka.create_topics(["steps"])
    worker = Worker(settings=settings)
    refused: list[str] = []

    @worker.action("steps")
    async def steps(payload: Any, ctx: JobContext) -> Any:
        for bad in (float("nan"), "x" * 70_000, {"s": "\ud800"}):
            try:
                ctx.heartbeat(bad)
            except SerializationError as exc:
                refused.append(type(exc).__name__)
        for i in range(1, 6):
            await asyncio.sleep(0.1)
            ctx.heartbeat({"done": i})
        return ctx.last_heartbeat_details

    job = kafka.job("steps", {}, heartbeat_timeout_ms=600, last_heartbeat_details=json.dumps({"done": 0}))
    running = run_worker(worker)
    result = kafka.result(job)

    assert result["status"] == "COMPLETED", result
    assert json.loads(result["output"]) == {"done": 0}
    assert refused == ["SerializationError"] * 3
    progress = kafka.progress[job["jobId"]]
    assert progress[0]["kind"] == "STARTED" and progress[0]["details"] is None, progress
    assert {p["kind"] for p in progress[1:]} == {"HEARTBEAT"}, progress
    # 500 ms of heartbeats: the first at once, then one Progress per 200 ms at most
    assert 2 <= len(progress) <= 5, progress
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(progress[1:])]
    assert all(gap >= 190 for gap in gaps), gaps
    running.stop()
    assert kafka.committed("steps") == 1


def test_the_worker_creates_the_control_topic_with_a_day_of_retention(
    kafka_bootstrap: str, kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    kafka.create_topics(["echo"])
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.delete_topics([settings.control_topic])[settings.control_topic].result(30)
    kafka.wait_until(
        lambda: settings.control_topic not in admin.list_topics(timeout=10).topics,
        what="the control topic to be deleted",
    )
    worker = Worker(settings=settings)
    worker.register("echo", lambda payload: payload)
    job = kafka.job("echo", 7)
    run_worker(worker)

    assert kafka.result(job)["output"] == "7"
    resource = ConfigResource(ResourceType.TOPIC, settings.control_topic)
    config = admin.describe_configs([resource])[resource].result(30)
    assert config["retention.ms"].value == "86400000"
    partitions = admin.list_topics(settings.control_topic, timeout=10).topics[settings.control_topic]
    assert len(partitions.partitions) == 1


def test_without_topic_creation_the_worker_waits_for_the_control_topic(
    kafka_bootstrap: str,
    kafka: Any,
    settings: WorkerSettings,
    run_worker: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    kafka.create_topics(["echo"])
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.delete_topics([settings.control_topic])[settings.control_topic].result(30)
    kafka.wait_until(
        lambda: settings.control_topic not in admin.list_topics(timeout=10).topics,
        what="the control topic to be deleted",
    )
    caplog.set_level(logging.WARNING, logger="legato_worker")
    worker = Worker(settings=replace(settings, create_topics=False))
    worker.register("echo", lambda payload: payload)
    job = kafka.job("echo", 8)
    run_worker(worker)

    kafka.wait_until(
        lambda: any("waiting for the control topic" in r.getMessage() for r in caplog.records),
        what="the worker to wait for the control topic",
    )
    kafka._drain()
    assert job["jobId"] not in kafka.results, "a job ran before the control topic was read"
    new = NewTopic(settings.control_topic, num_partitions=1, replication_factor=1)
    admin.create_topics([new])[settings.control_topic].result(30)
    assert kafka.result(job)["output"] == "8"
