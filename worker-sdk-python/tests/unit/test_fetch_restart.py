"""A partition whose start offset could not be looked up (its leader did not know the new topic
yet) has its fetch started again: librdkafka gives such a partition up for good."""

from __future__ import annotations

from typing import Any, cast

import pytest
from action_consumers import TOPIC, action_consumer
from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from legato_worker import _consumer
from legato_worker._consumer import ActionConsumer

pytestmark = pytest.mark.unit

NO_OFFSET = -1001


class SeekingConsumer:
    """Where each partition stands, and every seek asked of it."""

    def __init__(self, positions: dict[int, int], committed: dict[int, int]) -> None:
        self.positions = positions
        self.committed_offsets = committed
        self.seeks: list[tuple[int, int]] = []

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [
            TopicPartition(TOPIC, p.partition, self.positions.get(p.partition, NO_OFFSET)) for p in partitions
        ]

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [
            TopicPartition(TOPIC, p.partition, self.committed_offsets.get(p.partition, NO_OFFSET))
            for p in partitions
        ]

    def seek(self, partition: TopicPartition) -> None:
        self.seeks.append((partition.partition, partition.offset))


@pytest.fixture
def consumer(monkeypatch: pytest.MonkeyPatch) -> tuple[ActionConsumer, SeekingConsumer, list[float]]:
    action, now = action_consumer(monkeypatch)
    fake = SeekingConsumer(positions={1: 7}, committed={2: 3})
    action._consumer = cast(Any, fake)
    action._assigned = {0, 1, 2}
    return action, fake, now


UNKNOWN = KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, "Failed to query logical offset BEGINNING")


def test_partitions_whose_offset_query_failed_are_fetched_again_shortly(
    consumer: tuple[ActionConsumer, SeekingConsumer, list[float]],
) -> None:
    action, fake, now = consumer
    for partition in (0, 1, 2, 5):  # 5 is not assigned: nothing to restart
        action._consumer_error(UNKNOWN, partition)
    action._restart_fetches()
    assert fake.seeks == []  # not at once: the leader gets time to learn the topic

    now[0] += _consumer.RESTART_AFTER_S
    action._restart_fetches()
    # where each stands: the beginning (nothing committed), its position, its committed offset
    assert sorted(fake.seeks) == [(0, OFFSET_BEGINNING), (1, 7), (2, 3)]
    now[0] += 10
    action._restart_fetches()
    assert len(fake.seeks) == 3  # once per error


def test_other_errors_and_revoked_partitions_restart_nothing(
    consumer: tuple[ActionConsumer, SeekingConsumer, list[float]],
) -> None:
    action, fake, now = consumer
    action._consumer_error(KafkaError(KafkaError._TRANSPORT, "broker down"), 0)
    action._consumer_error(UNKNOWN, None)
    action._consumer_error(UNKNOWN, 1)
    action._forget({1})
    now[0] += 10
    action._restart_fetches()
    assert fake.seeks == []
