"""Poison pills: the header set that tells the DLT where an undecodable job came from and why."""

from __future__ import annotations

from confluent_kafka import Message

from legato_protocol import headers
from legato_worker._envelope import truncate, utf8_safe

MAX_MESSAGE_LEN = 1024
"""Characters of the `legato-error-message` header (same cap in every SDK)."""
_OURS = frozenset(
    {
        headers.DLT_REASON,
        headers.ERROR_TYPE,
        headers.ERROR_MESSAGE,
        headers.SOURCE_TOPIC,
        headers.SOURCE_PARTITION,
        headers.SOURCE_OFFSET,
        headers.WORKER_ID,
        headers.FAILED_AT,
    }
)


def undecodable_headers(
    msg: Message, error: Exception, worker_id: str, failed_at: int
) -> list[tuple[str, bytes | str | None]]:
    """The original headers (minus any stale DLT ones) followed by the `legato-*` DLT set;
    `failed_at` is the worker's clock (epoch ms)."""
    raw = msg.headers() or []
    pairs = list(raw.items()) if isinstance(raw, dict) else raw
    original = [(k, v) for k, v in pairs if k not in _OURS]
    return [
        *original,
        (headers.DLT_REASON, headers.REASON_UNDECODABLE),
        (headers.ERROR_TYPE, type(error).__name__),
        (headers.ERROR_MESSAGE, truncate(utf8_safe(str(error)), MAX_MESSAGE_LEN)),
        (headers.SOURCE_TOPIC, msg.topic() or ""),
        (headers.SOURCE_PARTITION, str(msg.partition())),
        (headers.SOURCE_OFFSET, str(msg.offset())),
        (headers.WORKER_ID, worker_id),
        (headers.FAILED_AT, str(failed_at)),
    ]
