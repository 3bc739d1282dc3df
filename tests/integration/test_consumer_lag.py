"""Consumer lag of the job topics (kafka.lag) with more actions than the offset reader keeps
consumers open for, on the real broker.

Each read beyond them evicts a consumer, and closing one waits up to a second: closed on the
reader's thread (with 32 kept open), a sample of a few dozen groups outlasted its timeout and the
orchestrator's lag and consumer gauges were never sampled (the shared test orchestrator, with
hundreds of actions, in CI). Here the reader keeps OPEN consumers, a few times fewer than actions.
"""

from collections.abc import Iterator

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness.api import unique
from harness.services import KAFKA, require_stack
from legato.kafka.committed import GroupOffsets
from legato.kafka.lag import consumer_lag
from legato_protocol.topics import job_topic, worker_group

pytestmark = pytest.mark.integration

OPEN = 8
ACTIONS = 3 * OPEN


@pytest.fixture(scope="module")
def prefixes() -> Iterator[tuple[str, str, list[str]]]:
    """A jobs prefix with ACTIONS one-partition topics holding 3 records each; the worker group of
    the action at index i committed offset i % 4 (3 means nothing behind)."""
    require_stack()
    jobs, groups = unique("lag-jobs"), unique("lag-workers")
    actions = [f"a{i}" for i in range(ACTIONS)]
    admin = AdminClient({"bootstrap.servers": KAFKA})
    topics = [job_topic(jobs, a) for a in actions]
    for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
        future.result(30)
    producer = Producer({"bootstrap.servers": KAFKA})
    for topic in topics:
        for n in range(3):
            producer.produce(topic, value=b"%d" % n)
    assert producer.flush(30) == 0
    committed = [
        ConsumerGroupTopicPartitions(worker_group(groups, a), [TopicPartition(job_topic(jobs, a), 0, i % 4)])
        for i, a in enumerate(actions)
        if i % 4  # i % 4 == 0: never committed, the whole topic is behind
    ]
    for request in committed:  # one group per request (librdkafka's rule)
        admin.alter_consumer_group_offsets([request])[request.group_id].result(30)
    yield jobs, groups, actions
    for future in admin.delete_topics(topics).values():
        future.result(30)


def test_the_lag_of_every_action_is_read_past_the_open_consumers(
    prefixes: tuple[str, str, list[str]],
) -> None:
    jobs, groups, actions = prefixes
    admin = AdminClient({"bootstrap.servers": KAFKA})
    offsets = GroupOffsets({"bootstrap.servers": KAFKA}, max_open=OPEN)
    try:
        expected = {a: 3 - (i % 4) if i % 4 else 3 for i, a in enumerate(actions)}
        assert consumer_lag(admin, offsets, jobs, groups, timeout=10) == expected
        again = consumer_lag(admin, offsets, jobs, groups, timeout=10)  # every read evicts one now
        assert again == expected
    finally:
        offsets.close()


def test_groups_are_read_stalest_first(prefixes: tuple[str, str, list[str]]) -> None:
    jobs, groups, actions = prefixes
    offsets = GroupOffsets({"bootstrap.servers": KAFKA})
    try:
        first, second, never = (worker_group(groups, a) for a in actions[:3])
        offsets.committed(first, [TopicPartition(job_topic(jobs, actions[0]), 0)], 10)
        offsets.committed(second, [TopicPartition(job_topic(jobs, actions[1]), 0)], 10)
        assert offsets.stalest_first([second, first, never]) == [never, first, second]
        offsets.committed(first, [TopicPartition(job_topic(jobs, actions[0]), 0)], 10)
        assert offsets.stalest_first([second, first, never]) == [never, second, first]
    finally:
        offsets.close()
