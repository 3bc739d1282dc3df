"""Python SDK workers in threads, configured for one isolated orchestrator."""

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from confluent_kafka import ConsumerGroupState
from confluent_kafka.admin import AdminClient

from harness.orchestrator import Orchestrator
from harness.waiting import until
from legato_protocol import topics
from legato_protocol.kafka_security import KafkaSecurity
from legato_worker import Worker, WorkerSettings


def settings_for(orch: Orchestrator, **overrides: Any) -> WorkerSettings:
    env = orch.env
    return WorkerSettings(
        bootstrap_servers=env["LEGATO_KAFKA_BOOTSTRAP_SERVERS"],
        security=KafkaSecurity.from_env({**os.environ, **env}),
        jobs_topic=env["LEGATO_JOBS_TOPIC"],
        results_topic=env["LEGATO_RESULTS_TOPIC"],
        control_topic=env["LEGATO_CONTROL_TOPIC"],
        group_prefix=env["LEGATO_GROUP_PREFIX"],
        job_partitions=int(env["LEGATO_JOB_PARTITIONS"]),
        **overrides,
    )


class StartedWorker:
    """A worker running in a thread of its own until `stop()` (drains as on SIGTERM)."""

    def __init__(self, orch: Orchestrator, handlers: dict[str, Callable[..., Any]], **overrides: Any) -> None:
        self.worker = Worker(settings_for(orch, **overrides))
        for action, handler in handlers.items():
            self.worker.register(action, handler)
        self._thread = threading.Thread(target=self.worker.start, name="test-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.worker.stop()
        self._thread.join(30)


@contextmanager
def running_worker(
    orch: Orchestrator, handlers: dict[str, Callable[..., Any]], **overrides: Any
) -> Iterator[Worker]:
    started = StartedWorker(orch, handlers, **overrides)
    try:
        yield started.worker
    finally:
        started.stop()


def await_members(orch: Orchestrator, action: str, count: int, timeout: float = 60) -> None:
    """Until `count` members of the action's worker group hold its partitions: workers that join
    while jobs flow move partitions, and a job of a moved partition may run again on its new owner
    (delivery is at least once) while the first run goes on."""
    group = topics.worker_group(orch.env["LEGATO_GROUP_PREFIX"], action)
    admin = AdminClient(orch.kafka_config())

    def holding() -> bool:
        described = admin.describe_consumer_groups([group])[group].result(timeout=10)
        holders = sum(1 for m in described.members if m.assignment.topic_partitions)
        return described.state == ConsumerGroupState.STABLE and holders == count

    until(holding, timeout, f"{count} workers of {action} holding partitions")
