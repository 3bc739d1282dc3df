"""The consumer watch: its offset look-ups (a scripted consumer), its log lines and its metrics."""

from __future__ import annotations

import logging

import pytest
from confluent_kafka import OFFSET_END, KafkaError, KafkaException, TopicPartition
from prometheus_client import CollectorRegistry

from legato_worker._consumer_watch import ConsumerWatch
from legato_worker._metrics import PrometheusMetrics

pytestmark = pytest.mark.unit

TOPIC = "workflow-jobs.charge"
NO_OFFSET = -1001


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


class ScriptedConsumer:
    """Answers the watch's look-ups from dicts, counting the committed-offset reads."""

    def __init__(self) -> None:
        self.positions: dict[int, int] = {}
        self.committed_offsets: dict[int, int] = {}
        self.ends: dict[int, int] = {}
        self.committed_reads = 0
        self.end_queries = 0
        self.failure: KafkaException | None = None
        self.timed_out = False

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [
            TopicPartition(tp.topic, tp.partition, self.positions.get(tp.partition, NO_OFFSET))
            for tp in partitions
        ]

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        assert 0 < timeout <= 5
        self.committed_reads += 1
        return [
            TopicPartition(tp.topic, tp.partition, self.committed_offsets.get(tp.partition, NO_OFFSET))
            for tp in partitions
        ]

    def offsets_for_times(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        """The end offsets (OFFSET_END: the broker's latest), all partitions in one request."""
        assert all(tp.offset == OFFSET_END for tp in partitions), "the end offset, fresh from the broker"
        assert 0 < timeout <= 5
        self.end_queries += 1
        if self.failure is not None:
            raise self.failure
        if self.timed_out:
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT))
        return [TopicPartition(tp.topic, tp.partition, self.ends[tp.partition]) for tp in partitions]


class Setup:
    def __init__(self, stall_timeout_ms: int = 30_000) -> None:
        self.clock = FakeClock()
        self.registry = CollectorRegistry()
        self.metrics = PrometheusMetrics(self.registry, ["charge", "ship"], 2, lambda: 0)
        self.consumer = ScriptedConsumer()
        self.watch = ConsumerWatch("charge", TOPIC, stall_timeout_ms, self.metrics, self.clock)
        self.records = 0
        self.assigned: set[int] = {0, 1}

    def check(self, *, held_back: bool = False) -> None:
        self.clock.now += self.watch.interval_s
        assert self.watch.due()
        self.watch.check(self.consumer, self.assigned, records=self.records, held_back=held_back)

    def value(self, name: str) -> float | None:
        return self.registry.get_sample_value(name, {"action": "charge"})


def test_series_exist_for_every_action_from_the_start() -> None:
    setup = Setup()
    for action in ("charge", "ship"):
        labels = {"action": action}
        assert setup.registry.get_sample_value("legato_worker_records_behind", labels) == 0
        assert setup.registry.get_sample_value("legato_worker_stalled", labels) == 0
        assert setup.registry.get_sample_value("legato_worker_stalls_total", labels) == 0


def test_checks_come_every_interval_only() -> None:
    setup = Setup(stall_timeout_ms=3000)
    assert setup.watch.interval_s == 1.0
    assert not setup.watch.due()
    setup.clock.now += 0.99
    assert not setup.watch.due()
    setup.clock.now += 0.01
    assert setup.watch.due()
    setup.watch.check(setup.consumer, set(), records=0, held_back=False)
    assert not setup.watch.due()


def test_records_behind_from_positions_then_the_committed_offset() -> None:
    setup = Setup()
    setup.consumer.positions = {0: 40}  # partition 1 received nothing since the assignment
    setup.consumer.committed_offsets = {1: 90}
    setup.consumer.ends = {0: 100, 1: 95}
    setup.check()
    assert setup.value("legato_worker_records_behind") == 60 + 5
    assert setup.consumer.end_queries == 1, "both partitions' end offsets in one request"
    setup.check()
    assert setup.consumer.committed_reads == 1  # read once per assignment, not per check
    setup.watch.reset()  # a rebalance: read again
    setup.check()
    assert setup.consumer.committed_reads == 2


def test_a_partition_without_a_known_next_offset_is_skipped() -> None:
    setup = Setup()
    setup.consumer.positions = {0: 98}
    setup.consumer.ends = {0: 100, 1: 1000}  # nothing received from 1, nothing committed for it
    setup.check()
    assert setup.value("legato_worker_records_behind") == 2


def test_nothing_assigned_is_nothing_behind() -> None:
    setup = Setup()
    setup.consumer.positions, setup.consumer.ends = {0: 0, 1: 0}, {0: 10, 1: 10}
    setup.check()
    assert setup.value("legato_worker_records_behind") == 20
    setup.assigned = set()
    setup.check()
    assert setup.value("legato_worker_records_behind") == 0


@pytest.mark.parametrize("broken", ["error", "timeout"])
def test_a_failed_look_up_skips_the_check(broken: str, caplog: pytest.LogCaptureFixture) -> None:
    setup = Setup()
    setup.consumer.positions, setup.consumer.ends = {0: 0, 1: 0}, {0: 10, 1: 10}
    setup.check()
    if broken == "error":
        setup.consumer.failure = KafkaException(KafkaError(KafkaError._TRANSPORT))
    else:
        setup.consumer.timed_out = True
    setup.consumer.ends = {0: 99, 1: 99}
    with caplog.at_level(logging.DEBUG, logger="legato_worker"):
        setup.check()
    assert setup.value("legato_worker_records_behind") == 20  # unchanged
    [record] = caplog.records
    assert record.levelno == logging.DEBUG
    assert "check skipped" in record.getMessage()


def test_a_stall_is_logged_once_and_counted_once(caplog: pytest.LogCaptureFixture) -> None:
    setup = Setup(stall_timeout_ms=30_000)
    setup.consumer.positions = {0: 3, 1: 5}
    setup.consumer.ends = {0: 10, 1: 5}
    with caplog.at_level(logging.INFO, logger="legato_worker"):
        for _ in range(30):  # 150 s of checks without a record or a moved position
            setup.check()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "action 'charge': 7 record(s) wait in assigned partition(s) workflow-jobs.charge-0 but none"
        " was fetched for 30 s; the consumer is not making progress"
    ]
    assert setup.value("legato_worker_stalls_total") == 1
    assert setup.value("legato_worker_stalled") == 1
    assert setup.value("legato_worker_records_behind") == 7

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="legato_worker"):
        setup.records += 1  # a record arrived
        setup.check()
        setup.check()
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "action 'charge': fetching again after 150 s")
    ]
    assert setup.value("legato_worker_stalled") == 0
    assert setup.value("legato_worker_stalls_total") == 1


def test_busy_slots_are_no_stall(caplog: pytest.LogCaptureFixture) -> None:
    setup = Setup(stall_timeout_ms=1000)
    setup.consumer.positions, setup.consumer.ends = {0: 0, 1: 0}, {0: 10, 1: 10}
    with caplog.at_level(logging.INFO, logger="legato_worker"):
        for _ in range(50):
            setup.check(held_back=True)
    assert caplog.records == []
    assert setup.value("legato_worker_records_behind") == 20
    assert setup.value("legato_worker_stalls_total") == 0


def test_timeout_0_keeps_the_gauge_and_never_warns(caplog: pytest.LogCaptureFixture) -> None:
    setup = Setup(stall_timeout_ms=0)
    assert setup.watch.interval_s == 5.0
    setup.consumer.positions, setup.consumer.ends = {0: 0, 1: 0}, {0: 10, 1: 10}
    with caplog.at_level(logging.INFO, logger="legato_worker"):
        for _ in range(50):
            setup.check()
    assert caplog.records == []
    assert setup.value("legato_worker_records_behind") == 20
    assert setup.value("legato_worker_stalled") == 0
