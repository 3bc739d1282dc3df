"""A consumer its group assigned nothing while its topic has partitions joins the group again (the
group formed before its leader's broker listed the new topic): at most EMPTY_REJOINS times."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from action_consumers import TOPIC, action_consumer
from confluent_kafka import TopicPartition

from legato_worker import _consumer
from legato_worker._consumer import ActionConsumer

pytestmark = pytest.mark.unit


class GroupConsumer:
    """The topic's partition count as metadata lists it, and every (un)subscription."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self.calls: list[str] = []

    def list_topics(self, topic: str, timeout: float) -> Any:
        listed = SimpleNamespace(error=None, partitions={p: None for p in range(self.partitions)})
        return SimpleNamespace(topics={topic: listed})

    def unsubscribe(self) -> None:
        self.calls.append("unsubscribe")

    def subscribe(self, topics: list[str], **callbacks: Any) -> None:
        self.calls.append("subscribe")

    def assign(self, partitions: list[TopicPartition]) -> None:
        pass


def consumer_with(
    monkeypatch: pytest.MonkeyPatch, partitions: int
) -> tuple[ActionConsumer, GroupConsumer, list[float]]:
    action, now = action_consumer(monkeypatch)
    fake = GroupConsumer(partitions)
    action._consumer = cast(Any, fake)
    return action, fake, now


def test_an_empty_assignment_while_the_topic_has_partitions_joins_again_at_most_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    action, fake, now = consumer_with(monkeypatch, partitions=3)
    for _ in range(_consumer.EMPTY_REJOINS + 2):
        action._on_assign(cast(Any, fake), [])
        action._rejoin_if_nothing_assigned()
        assert fake.calls.count("subscribe") <= _consumer.EMPTY_REJOINS  # not before the wait
        now[0] += _consumer.EMPTY_RECHECK_S
        action._rejoin_if_nothing_assigned()
    assert fake.calls == ["unsubscribe", "subscribe"] * _consumer.EMPTY_REJOINS


def test_a_consumer_with_partitions_or_a_topic_without_any_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    action, fake, now = consumer_with(monkeypatch, partitions=3)
    action._on_assign(cast(Any, fake), [TopicPartition(TOPIC, 0)])
    now[0] += 60
    if action._empty_since is not None:
        action._rejoin_if_nothing_assigned()
    assert fake.calls == []

    action, fake, now = consumer_with(monkeypatch, partitions=0)
    action._on_assign(cast(Any, fake), [])
    now[0] += 60
    action._rejoin_if_nothing_assigned()
    assert fake.calls == []
    assert action._empty_since == now[0]  # looked at again later
