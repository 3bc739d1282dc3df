"""How far each trigger is behind its topic: the partitions' ends, sampled into `trigger_offsets`
(the API's `lag`, and legato_trigger_lag), paused triggers too (their records wait there)."""

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient
from psycopg_pool import ConnectionPool

from legato import metrics
from legato.kafka import lag
from legato.store import triggers_sql
from legato.store.rows import fetch_all
from legato.store.triggers_sql import LagRow, TriggerPartitionRow

TIMEOUT_S = 5.0
_shown: set[str] = set()  # the triggers whose lag this process reports


def sample(pool: ConnectionPool, admin: AdminClient) -> None:
    with pool.connection() as conn:
        rows = fetch_all(conn, TriggerPartitionRow, triggers_sql.PARTITIONS)
    if not rows:
        for trigger_id in _shown:
            metrics.TRIGGER_LAG.remove(trigger_id)
        _shown.clear()
        return
    wanted = sorted({(r.topic, r.partition) for r in rows})
    ends = lag.ends(admin, [TopicPartition(t, p) for t, p in wanted], TIMEOUT_S)
    known = [r for r in rows if (r.topic, r.partition) in ends]
    with pool.connection() as conn:
        conn.execute(
            triggers_sql.SAMPLE_ENDS,
            (
                [r.trigger_id for r in known],
                [r.partition for r in known],
                [ends[(r.topic, r.partition)] for r in known],
            ),
        )
        lags = {row.trigger_id: row.lag for row in fetch_all(conn, LagRow, triggers_sql.LAGS)}
    for trigger_id in _shown - lags.keys():  # deleted: its series goes
        metrics.TRIGGER_LAG.remove(trigger_id)
    for trigger_id, n in lags.items():
        metrics.TRIGGER_LAG.labels(trigger_id).set(n)
    _shown.clear()
    _shown.update(lags)
