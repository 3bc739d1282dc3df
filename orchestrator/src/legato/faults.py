"""Which errors pause the engine and which cost only the message that caused them.

Only an outage pauses: the database or Kafka unreachable, a connection lost, PostgreSQL out of
resources or asking for a retry (serialization failure, deadlock). Everything else a batch hits
(a value PostgreSQL refuses, a constraint, a bug in our code) is about the data, so retrying the
same data would fail forever: the engine isolates the message instead (engine.apply); a
trigger group commit splits its batch (runs.batcher).
"""

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
