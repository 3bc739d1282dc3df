"""Which errors pause the engine and which cost only the message that caused them.

Only an outage pauses: the database or Kafka unreachable, a connection lost, PostgreSQL out of
resources or asking for a retry (serialization failure, deadlock). Everything else a batch hits
(a value PostgreSQL refuses, a constraint, a bug in our code) is about the data, so retrying the
same data would fail forever: the engine isolates the message instead (engine.apply); a
trigger group commit splits its batch (runs.batcher).
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
from confluent_kafka import KafkaException
from psycopg_pool import PoolTimeout

from legato.kafka.confirmed import NotAcknowledged

# SQLSTATE classes that say "try again later": 08 connection exception, 40 transaction rollback
# (serialization failure, deadlock), 53 insufficient resources, 57 operator intervention
# (shutdown, cancel), 58 system error (I/O).
_TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57", "58"})

OUTAGES = (KafkaException, NotAcknowledged, BufferError, OSError, PoolTimeout, psycopg.Error)


def is_outage(exc: BaseException) -> bool:
    if isinstance(exc, psycopg.Error):
        state = exc.sqlstate
        if state is None:  # raised by the client: a lost connection, or data it refused to send
            return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
        return state[:2] in _TRANSIENT_CLASSES or state == "55P03"  # lock_not_available
    return isinstance(exc, OUTAGES)


T = TypeVar("T")
log = logging.getLogger(__name__)

# A database outage shorter than this (a PostgreSQL restart, a failover) is waited out by a trigger.
RIDE_OUT_S = 10.0


def waitable(exc: BaseException) -> bool:
    """A database outage to wait out; a statement timeout is not one (the database is slow, not gone)."""
    return is_outage(exc) and not isinstance(exc, psycopg.errors.QueryCanceled)


def ride_out(call: Callable[[float], T], what: str, seconds: float = RIDE_OUT_S) -> T:
    """`call(time_left)`, made again with backoff while it fails with an outage, for at most `seconds`;
    then its last failure is raised."""
    deadline = time.monotonic() + seconds
    delay = 0.05
    while True:
        try:
            return call(max(0.1, deadline - time.monotonic()))
        except Exception as exc:
            if not (waitable(exc) and time.monotonic() + delay < deadline):
                raise
            log.info("%s wait for the database (%s): again in %.2fs", what, exc, delay)
            time.sleep(delay)
            delay = min(1.0, delay * 2)
