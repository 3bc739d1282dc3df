"""Create, list, revoke and check API keys (PostgreSQL holds only their hashes)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import errors
from psycopg_pool import ConnectionPool

from legato.auth.scopes import ANONYMOUS, SCOPES, Principal
from legato.auth.secrets import digest, new_key
from legato.store import auth_sql
from legato.store.rows import fetch_all, fetch_one

MAX_NAME = 100
# Names the API records as the actor of requests made without a key: no key may take them.
RESERVED_NAMES = frozenset({ANONYMOUS.name})


class InvalidKeyRequest(ValueError):
    """A key request that cannot be honoured (bad name or scope); the message says why."""


class NameTaken(ValueError):
    """Another active key already has this name (revoke it first, or choose another)."""


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key_id: uuid.UUID
    name: str
    scope: str
    key: str  # shown once, never stored
    created_at: datetime


def _looks_like_an_id(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def check_name(name: str) -> str:
    """The name a key may be given (stripped); InvalidKeyRequest says why not.

    Names are what run events record as `by` and what `revoke` takes, so they must be unambiguous:
    never a reserved actor name and never shaped like a key id."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InvalidKeyRequest(f"name: 1-{MAX_NAME} printable characters")
    if name.lower() in RESERVED_NAMES:
        raise InvalidKeyRequest(f"name: {name!r} is reserved (requests without a key are recorded so)")
    if _looks_like_an_id(name):
        raise InvalidKeyRequest(f"name: {name!r} looks like a key id; give a name that does not")
    return name


def create(pool: ConnectionPool, name: str, scope: str) -> CreatedKey:
    name = check_name(name)
    if scope not in SCOPES:
        raise InvalidKeyRequest(f"scope: one of {', '.join(SCOPES)}")
    key, key_id = new_key(), uuid.uuid4()
    try:
        with pool.connection() as conn:
            row = fetch_one(
                conn, auth_sql.CreatedKeyRow, auth_sql.INSERT_KEY, (key_id, name, scope, key[:8], digest(key))
            )
    except errors.UniqueViolation:  # api_keys_active_name (a key hash never repeats)
        raise NameTaken(
            f"an active key is already named {name!r}: revoke it first or choose another name"
        ) from None
    assert row is not None
    return CreatedKey(key_id, name, scope, key, row.created_at)


def list_keys(pool: ConnectionPool) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = fetch_all(conn, auth_sql.KeyRow, auth_sql.LIST_KEYS)
    return [
        {
            "id": str(r.key_id),
            "name": r.name,
            "scope": r.scope,
            "prefix": r.prefix,
            "createdAt": r.created_at.isoformat(),
            "lastUsedAt": r.last_used_at.isoformat() if r.last_used_at else None,
            "revokedAt": r.revoked_at.isoformat() if r.revoked_at else None,
        }
        for r in rows
    ]


def revoke(pool: ConnectionPool, id_or_name: str) -> list[str]:
    """Revoke the active key with this id or name (its sessions end with it): the name revoked, or
    none. Active names are unique and never shaped like an id, so at most one key matches."""
    with pool.connection() as conn:
        return [
            r.name
            for r in fetch_all(conn, auth_sql.RevokedKeyRow, auth_sql.REVOKE_KEY, (id_or_name, id_or_name))
        ]


def find(pool: ConnectionPool, key: str) -> Principal | None:
    if len(key) > 200:
        return None
    with pool.connection() as conn:
        row = fetch_one(conn, auth_sql.ActiveKeyRow, auth_sql.FIND_KEY, (digest(key),))
        if row is None:
            return None
        if row.stale:  # last use recorded over a minute ago: the only write a key's use makes
            conn.execute(auth_sql.TOUCH_KEY, (row.key_id,))
    return Principal(row.name, row.scope, row.key_id)
