"""The control-topic reader: its consumer settings, and consumer errors while it catches up."""

import logging
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError

from legato_protocol import Cancel, encode_cancel
from legato_worker import _control
from legato_worker._control import reader_config

pytestmark = pytest.mark.unit


def test_an_offset_reset_reads_the_control_topic_again_from_its_beginning() -> None:
    config = reader_config({"bootstrap.servers": "k:9092", "client.id": "legato-python-w1"})
    # librdkafka's default (latest) would jump past Cancels never read after an out-of-range or
    # offset-validation reset, e.g. around a broker restart; Node and Java use earliest too
    assert config["auto.offset.reset"] == "earliest"


def test_it_never_commits_and_sees_the_end_of_each_partition() -> None:
    config = reader_config({"bootstrap.servers": "k:9092", "client.id": "legato-python-w1"})
    assert config["group.id"] == "legato-control-legato-python-w1"
    assert config["enable.auto.commit"] is False
    assert config["enable.auto.offset.store"] is False
    assert config["enable.partition.eof"] is True
    assert config["bootstrap.servers"] == "k:9092"


def test_the_reader_properties_win_over_extra_client_properties() -> None:
    config = reader_config({"bootstrap.servers": "k:9092", "auto.offset.reset": "latest"})
    assert config["auto.offset.reset"] == "earliest"
    assert config["group.id"] == "legato-control-worker"


class FakeMessage:
    def __init__(
        self, partition: int, offset: int, value: bytes = b"", error: KafkaError | None = None
    ) -> None:
        self._partition, self._offset, self._value, self._error = partition, offset, value, error

    def error(self) -> KafkaError | None:
        return self._error

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes:
        return self._value


class ScriptedConsumer:
    """One partition holding offsets 0..2; `poll` hands out `script`, then nothing."""

    made: list["ScriptedConsumer"] = []

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.script: list[FakeMessage] = []
        ScriptedConsumer.made.append(self)

    def list_topics(self, topic: str, timeout: float) -> Any:
        return SimpleNamespace(topics={topic: SimpleNamespace(error=None, partitions={0: None})})

    def get_watermark_offsets(self, partition: Any, timeout: float) -> tuple[int, int]:
        return 0, 3

    def assign(self, partitions: list[Any]) -> None:
        pass

    def poll(self, timeout: float) -> FakeMessage | None:
        return self.script.pop(0) if self.script else None


def cancel_bytes(n: int) -> bytes:
    cancel: Cancel = {
        "jobId": f"job-{n}",
        "runId": "run",
        "stepId": "0",
        "attempt": 1,
        "action": "a",
        "reason": "RunCancelled",
        "message": "cancelled",
        "at": 0,
    }
    return encode_cancel(cancel)


def test_errors_are_logged_rate_limited_and_do_not_end_the_catch_up(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_control, "Consumer", ScriptedConsumer)
    cancels: list[Cancel] = []
    reader = _control.ControlReader("ctl", {"client.id": "c"}, cancels.append, lambda exc: None)
    [consumer] = ScriptedConsumer.made[-1:]
    assert consumer.config["auto.offset.reset"] == "earliest"
    transport = KafkaError(KafkaError._TRANSPORT)
    consumer.script = [
        FakeMessage(0, 5, error=transport),  # an error's offset says nothing about how far we read
        FakeMessage(0, 0, cancel_bytes(0)),
        FakeMessage(0, 6, error=transport),
        FakeMessage(0, 1, cancel_bytes(1)),
        FakeMessage(0, 2, cancel_bytes(2)),
    ]
    with caplog.at_level(logging.WARNING, logger="legato_worker"):
        assert reader.catch_up(threading.Event())
    assert [c["jobId"] for c in cancels] == ["job-0", "job-1", "job-2"]
    errors = [r.getMessage() for r in caplog.records if "control topic ctl" in r.getMessage()]
    assert len(errors) == 1, errors  # the same error again within 10 s is not repeated
