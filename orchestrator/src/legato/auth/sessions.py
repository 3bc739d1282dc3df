"""Dashboard sessions: an HttpOnly cookie holds a random token; PostgreSQL holds its hash, the key it
stands for and a CSRF token the dashboard must echo on unsafe requests. Revoking the key ends them."""

from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from legato.auth.scopes import Principal
from legato.auth.secrets import digest, new_token
from legato.store import auth_sql
from legato.store.rows import fetch_one

COOKIE = "legato_session"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    csrf_token: str


def open_session(pool: ConnectionPool, principal: Principal, ttl_s: int) -> tuple[str, str]:
    """A new session for a key that was just checked; returns (cookie token, CSRF token)."""
    token, csrf = new_token(), new_token()
    with pool.connection() as conn:
        conn.execute(auth_sql.DELETE_EXPIRED_SESSIONS)
        conn.execute(auth_sql.INSERT_SESSION, (digest(token), principal.key_id, csrf, ttl_s))
    return token, csrf


def find(pool: ConnectionPool, token: str) -> Session | None:
    if len(token) > 200:
        return None
    with pool.connection() as conn:
        row = fetch_one(conn, auth_sql.SessionRow, auth_sql.FIND_SESSION, (digest(token),))
    if row is None:
        return None
    return Session(Principal(row.name, row.scope, row.key_id, via_session=True), row.csrf_token)


def close(pool: ConnectionPool, token: str) -> None:
    with pool.connection() as conn:
        conn.execute(auth_sql.DELETE_SESSION, (digest(token),))
