"""Typed rows: a statement's rows read as the frozen dataclass declared beside it.

Each `*_sql` module declares, next to a statement that answers rows, the dataclass whose fields are
its RETURNING (or SELECT) columns, in the same order and by the same names. psycopg's `class_row`
builds one per row by column name, on a cursor of the same connection: the same round trip, no ORM.
"""

from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.abc import Params
from psycopg.rows import class_row

Row = TypeVar("Row")

# A statement: its text, or composed from store fragments (psycopg.sql). psycopg.abc.QueryNoTemplate
# from psycopg 3.3 on; spelled out here so 3.2 (the oldest supported) works too.
Query = str | bytes | sql.SQL | sql.Composed

# Where a statement runs: a connection, or a cursor's (in its transaction and pipeline).
On = psycopg.Connection[Any] | psycopg.Cursor[Any]


def fetch_all(on: On, row: type[Row], query: Query, params: Params | None = None) -> list[Row]:
    """Run `query` and read its rows as `row`."""
    with typed_cursor(on, row) as typed:
        typed.execute(query, params)
        return typed.fetchall()


def fetch_one(on: On, row: type[Row], query: Query, params: Params | None = None) -> Row | None:
    """Run `query`, which answers one row at most, and read it as `row`."""
    with typed_cursor(on, row) as typed:
        typed.execute(query, params)
        return typed.fetchone()


def typed_cursor(on: On, row: type[Row]) -> psycopg.Cursor[Row]:
    """A cursor of `on`'s connection that reads rows as `row` (for a statement whose rows are read
    later, as after the commit of its pipelined transaction)."""
    conn = on if isinstance(on, psycopg.Connection) else on.connection
    return conn.cursor(row_factory=class_row(row))
