"""Credentials out of messages: URL passwords, password= fields, the SASL password, in log records."""

import io
import logging
from collections.abc import Iterator

import pytest

from legato import redaction
from legato.redaction import Redactor, redact

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cannot migrate postgresql://legato:S3cr3t@db:5432/legato: refused",
            "cannot migrate postgresql://legato:***@db:5432/legato: refused",
        ),
        ("redis://:S3cr3t@cache:6379/0", "redis://:***@cache:6379/0"),
        ("postgres:/u:S3cr3t@db/x: Could not parse", "postgres:/u:***@db/x: Could not parse"),
        ("postgresql://u:p@ss:w/rd@db/x", "postgresql://u:***@db/x"),
        ("host=db password=S3cr3t user=u", "host=db password=*** user=u"),
        ("{'sasl.password': 'S3cr3t'}", "{'sasl.password': '***'}"),
        ('{"password": "S3cr3t"}', '{"password": "***"}'),
        ("http://localhost:8080/workflow/ answered 404", "http://localhost:8080/workflow/ answered 404"),
        ("sent to user@example.com at 12:00:01", "sent to user@example.com at 12:00:01"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.fixture
def redacted_log() -> Iterator[io.StringIO]:
    """A logger whose records are made by a Redactor's factory (as `install` sets for a process)."""
    previous = logging.getLogRecordFactory()
    logging.setLogRecordFactory(Redactor(["Kafka-S3cr3t"]).record_factory(previous))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger("test-redaction").addHandler(handler)
    try:
        yield stream
    finally:
        logging.getLogger("test-redaction").removeHandler(handler)
        logging.setLogRecordFactory(previous)


def test_log_records_are_redacted_with_their_tracebacks(redacted_log: io.StringIO) -> None:
    log = logging.getLogger("test-redaction")
    log.warning("database %s unreachable", "postgresql://legato:S3cr3t@db/legato")
    try:
        raise ConnectionError("SASL as legato with Kafka-S3cr3t refused")
    except ConnectionError:
        log.exception("kafka")
    text = redacted_log.getvalue()
    assert "S3cr3t" not in text
    assert "postgresql://legato:***@db/legato" in text
    assert "SASL as legato with *** refused" in text


def test_install_adds_the_sasl_password_of_the_environment() -> None:
    redaction.install({"LEGATO_KAFKA_SASL_PASSWORD": "Kafka-S3cr3t-2"})
    assert redact("authentication with Kafka-S3cr3t-2 failed") == "authentication with *** failed"
