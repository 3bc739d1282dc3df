"""Statements behind API keys and dashboard sessions.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

INSERT_KEY = """
INSERT INTO api_keys (key_id, name, scope, prefix, key_hash) VALUES (%s, %s, %s, %s, %s)
RETURNING created_at
"""


@dataclass(frozen=True, slots=True)
class CreatedKeyRow:
    """When INSERT_KEY wrote the key."""

    created_at: datetime


LIST_KEYS = """
SELECT key_id, name, scope, prefix, created_at, last_used_at, revoked_at FROM api_keys
ORDER BY created_at
"""


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A key LIST_KEYS lists (never its hash)."""

    key_id: UUID
    name: str
    scope: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


# By id or by name: an active name is unique (api_keys_active_name) and never looks like an id, so
# this names at most one key.
REVOKE_KEY = """
UPDATE api_keys SET revoked_at = now() WHERE (key_id::text = %s OR name = %s) AND revoked_at IS NULL
RETURNING key_id, name
"""


@dataclass(frozen=True, slots=True)
class RevokedKeyRow:
    """A key REVOKE_KEY revoked."""

    key_id: UUID
    name: str


# A key in use: read on every request (revocation works at once), written only when its recorded
# last use is over a minute old (TOUCH_KEY), never once per request.
FIND_KEY = """
SELECT key_id, name, scope, last_used_at IS NULL OR last_used_at < now() - interval '1 minute' AS stale
FROM api_keys WHERE key_hash = %s AND revoked_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class ActiveKeyRow:
    """The active key FIND_KEY found; `stale`: its last use is to be recorded (TOUCH_KEY)."""

    key_id: UUID
    name: str
    scope: str
    stale: bool


TOUCH_KEY = """
UPDATE api_keys SET last_used_at = now()
WHERE key_id = %s AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
"""

INSERT_SESSION = """
INSERT INTO auth_sessions (token_hash, key_id, csrf_token, expires_at)
VALUES (%s, %s, %s, now() + %s * interval '1 second')
"""

FIND_SESSION = """
SELECT k.key_id, k.name, k.scope, s.csrf_token FROM auth_sessions AS s
JOIN api_keys AS k ON k.key_id = s.key_id
WHERE s.token_hash = %s AND s.expires_at > now() AND k.revoked_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A live session FIND_SESSION found: the active key it stands for, and its CSRF token."""

    key_id: UUID
    name: str
    scope: str
    csrf_token: str


DELETE_SESSION = "DELETE FROM auth_sessions WHERE token_hash = %s"

DELETE_EXPIRED_SESSIONS = "DELETE FROM auth_sessions WHERE expires_at < now()"
