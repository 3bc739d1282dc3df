"""Typed rows: a statement's rows read as the frozen dataclass declared beside it.

Each `*_sql` module declares, next to a statement that answers rows, the dataclass whose fields are
its RETURNING (or SELECT) columns, in the same order and by the same names. psycopg's `class_row`
builds one per row by column name, on a cursor of the same connection: the same round trip, no ORM.
"""

from typing import Any, TypeVar

import psycopg
from psycopg.abc import Params
from psycopg.rows import class_row

Row = TypeVar("Row")


def fetch_all(
    on: psycopg.Connection[Any] | psycopg.Cursor[Any],
    row: type[Row],
    query: str,
    params: Params | None = None,
) -> list[Row]:
    """Run `query` on a connection (or a cursor's: in its transaction and pipeline); its rows as `row`."""
    conn = on if isinstance(on, psycopg.Connection) else on.connection
    with conn.cursor(row_factory=class_row(row)) as typed:
        typed.execute(query, params)
        return typed.fetchall()
