"""Poison results: records of workflow-results the engine cannot decode, or decoded and cannot apply.

Each goes to workflow-results.DLT as it was (key, value and headers), with provenance headers and
why; the engine acknowledges it there before it moves past the record (it costs only itself).
"""

import time

from confluent_kafka import Message

from legato.kafka.confirmed import Record
from legato.payloads import clean_text
from legato_protocol import headers

# A result the engine decoded but could not apply (a value that slipped past admission, a bug).
REASON_UNAPPLIABLE = "unappliable"


def undecodable_result(msg: Message, error: str, dlt_topic: str) -> Record:
    return _result_dead_letter(msg, headers.REASON_UNDECODABLE, "DecodeError", error, dlt_topic)


def _result_dead_letter(msg: Message, reason: str, error_type: str, error: str, dlt_topic: str) -> Record:
    hdrs: list[tuple[str, str | bytes | None]] = [(str(h[0]), h[1]) for h in msg.headers() or []]
    hdrs += [
        (headers.DLT_REASON, reason.encode()),
        (headers.ERROR_TYPE, error_type.encode()),
        (headers.ERROR_MESSAGE, clean_text(error, 1024).encode()),
        (headers.SOURCE_TOPIC, (msg.topic() or "").encode()),
        (headers.SOURCE_PARTITION, str(msg.partition()).encode()),
        (headers.SOURCE_OFFSET, str(msg.offset()).encode()),
        (headers.FAILED_AT, str(int(time.time() * 1000)).encode()),
    ]
    return Record(dlt_topic, msg.key(), msg.value(), [(str(k), v) for k, v in hdrs])


def unappliable_result(msg: Message, exc: BaseException, dlt_topic: str) -> Record:
    """The original result record, with the usual provenance headers and why it was not applied."""
    return _result_dead_letter(msg, REASON_UNAPPLIABLE, type(exc).__name__, str(exc), dlt_topic)
