"""Per-action limits: set, read and clear (PUT|GET|DELETE /actions/{action}/limits).

Setting a limit also counts the action's live jobs made before it (they hold slots from now on);
clearing one releases the action's throttled jobs to the outbox at once. Every process sees a
change within workflow.limits.REFRESH_S; the engine admits throttled jobs (workflow.limits.admit).
"""

from dataclasses import dataclass
from typing import Any

from psycopg_pool import ConnectionPool

from legato.store import engine_sql, limits_sql
from legato.store.limits_sql import ActionRow, LimitRow
from legato.store.rows import fetch_all, fetch_one
from legato.workflow.limits import LIMITED, release_unlimited


@dataclass(frozen=True, slots=True)
class Rate:
    limit: int
    period_ms: int


def set_limits(
    pool: ConnectionPool[Any], action: str, max_concurrent: int | None, rate: Rate | None
) -> LimitRow:
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute(
            limits_sql.UPSERT_LIMIT,
            (
                action,
                max_concurrent,
                rate.limit if rate else None,
                rate.period_ms if rate else None,
                rate.limit if rate else None,
            ),
        )
        for statement in limits_sql.COUNT_LIVE:
            cur.execute(statement, (action,))
        cur.execute(engine_sql.NOTIFY_JOBS)  # a larger limit admits more at once
    LIMITED.forget()
    found = get_limits(pool, action)
    assert found, "the limit was just written"
    return found[0]


def get_limits(pool: ConnectionPool[Any], action: str | None = None) -> list[LimitRow]:
    with pool.connection() as conn:
        return fetch_all(conn, LimitRow, limits_sql.GET_LIMITS, (action, action))


def clear_limits(pool: ConnectionPool[Any], action: str) -> bool:
    """False: the action had no limit."""
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        deleted = fetch_one(cur, ActionRow, limits_sql.DELETE_LIMIT, (action,))
        if deleted is None:
            return False
        release_unlimited(cur, [action])
        cur.execute(engine_sql.NOTIFY_JOBS)
    LIMITED.forget()
    return True
