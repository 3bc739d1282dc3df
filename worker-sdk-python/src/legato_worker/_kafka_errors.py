"""Sorting librdkafka errors: fatal (stop the worker), too large (send a smaller answer), or transient."""

from __future__ import annotations

import logging
import threading
import time
from enum import Enum

from confluent_kafka import KafkaError

FATAL_CODES = frozenset(
    {
        KafkaError._FATAL,
        KafkaError._AUTHENTICATION,
        KafkaError.SASL_AUTHENTICATION_FAILED,
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    }
)
TOO_LARGE_CODES = frozenset({KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE})


class Kind(Enum):
    FATAL = "fatal"
    TOO_LARGE = "too large"
    TRANSIENT = "transient"


def kind_of(err: KafkaError) -> Kind:
    if err.fatal() or err.code() in FATAL_CODES:
        return Kind.FATAL
    if err.code() in TOO_LARGE_CODES:
        return Kind.TOO_LARGE
    return Kind.TRANSIENT


class RateLimitedLog:
    """Logs a warning per error code at most once per `interval_s` (a broker outage is not a flood)."""

    def __init__(self, logger: logging.Logger, interval_s: float = 10.0) -> None:
        self._log = logger
        self._interval_s = interval_s
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()

    def warning(self, code: int, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(code)
            if last is not None and now - last < self._interval_s:
                return
            self._last[code] = now
        self._log.warning(message, *args)
