"""Create, list, revoke and check API keys (PostgreSQL holds only their hashes)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg_pool import ConnectionPool

from legato.auth.scopes import SCOPES, Principal
from legato.auth.secrets import digest, new_key
from legato.store import auth_sql

MAX_NAME = 100


class InvalidKeyRequest(ValueError):
    """A key request that cannot be honoured (bad name or scope); the message says why."""


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key_id: uuid.UUID
    name: str
    scope: str
    key: str  # shown once, never stored
    created_at: datetime


def create(pool: ConnectionPool, name: str, scope: str) -> CreatedKey:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InvalidKeyRequest(f"name: 1-{MAX_NAME} printable characters")
    if scope not in SCOPES:
        raise InvalidKeyRequest(f"scope: one of {', '.join(SCOPES)}")
    key, key_id = new_key(), uuid.uuid4()
    with pool.connection() as conn:
        row = conn.execute(auth_sql.INSERT_KEY, (key_id, name, scope, key[:8], digest(key))).fetchone()
    assert row is not None
    return CreatedKey(key_id, name, scope, key, row[0])


def list_keys(pool: ConnectionPool) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = conn.execute(auth_sql.LIST_KEYS).fetchall()
    return [
        {
            "id": str(r[0]),
            "name": r[1],
            "scope": r[2],
            "prefix": r[3],
            "createdAt": r[4].isoformat(),
            "lastUsedAt": r[5].isoformat() if r[5] else None,
            "revokedAt": r[6].isoformat() if r[6] else None,
        }
        for r in rows
    ]


def revoke(pool: ConnectionPool, id_or_name: str) -> list[str]:
    """Revoke the key with this id or name (its sessions end with it); the names revoked."""
    with pool.connection() as conn:
        return [r[1] for r in conn.execute(auth_sql.REVOKE_KEY, (id_or_name, id_or_name)).fetchall()]


def find(pool: ConnectionPool, key: str) -> Principal | None:
    if len(key) > 200:
        return None
    with pool.connection() as conn:
        row = conn.execute(auth_sql.FIND_KEY, (digest(key),)).fetchone()
    return None if row is None else Principal(row[1], row[2], row[0])
