"""The API's connection pool: every statement bounded by LEGATO_API_STATEMENT_TIMEOUT_MS.

Only the API's: the engine's batches (engine.process) and migrations (store.migrate) have their
own connections and no such bound. A statement that runs out answers 503 with Retry-After
(api.errors), never 500.
"""

from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from legato.settings import Settings

MIN_CONNECTIONS = 2
MAX_CONNECTIONS = 32


def api_pool(settings: Settings) -> ConnectionPool:
    timeout_ms = settings.api.statement_timeout_ms
    if timeout_ms < 0:
        raise ValueError(f"LEGATO_API_STATEMENT_TIMEOUT_MS is {timeout_ms}: give 0 (no limit) or more")

    def bounded(conn: psycopg.Connection[Any]) -> None:
        conn.execute("SELECT set_config('statement_timeout', %s, false)", (f"{timeout_ms}ms",))
        conn.commit()  # the pool takes a connection back only when idle

    return ConnectionPool(
        settings.store.database_url,
        min_size=MIN_CONNECTIONS,
        max_size=MAX_CONNECTIONS,
        open=True,
        name="legato",
        configure=bounded,
    )
