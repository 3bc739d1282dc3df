"""Shared fixtures: a reachable Kafka (skip locally, FAIL in CI) and per-test topic names."""

from __future__ import annotations

import os
import uuid

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    bootstrap = os.environ.get("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    try:
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=5)
    except KafkaException as exc:
        reason = f"Kafka is not reachable at {bootstrap} ({exc}); start it with deploy/stack.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return bootstrap


@pytest.fixture
def unique_prefix(request: pytest.FixtureRequest) -> str:
    """A topic/group prefix no other test (or earlier run) uses."""
    name = request.node.name.replace("[", "-").replace("]", "")[:40]
    return f"t-py-{name}-{uuid.uuid4().hex[:8]}"
