"""Statements behind API keys and dashboard sessions."""

INSERT_KEY = """
INSERT INTO api_keys (key_id, name, scope, prefix, key_hash) VALUES (%s, %s, %s, %s, %s)
RETURNING created_at
"""

LIST_KEYS = """
SELECT key_id, name, scope, prefix, created_at, last_used_at, revoked_at FROM api_keys
ORDER BY created_at
"""

REVOKE_KEY = """
UPDATE api_keys SET revoked_at = now() WHERE (key_id::text = %s OR name = %s) AND revoked_at IS NULL
RETURNING key_id, name
"""

# A key in use: its last use is recorded at most once a minute (no write per request).
FIND_KEY = """
UPDATE api_keys SET last_used_at = CASE
    WHEN last_used_at IS NULL OR last_used_at < now() - interval '1 minute' THEN now() ELSE last_used_at END
WHERE key_hash = %s AND revoked_at IS NULL
RETURNING key_id, name, scope
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

DELETE_SESSION = "DELETE FROM auth_sessions WHERE token_hash = %s"

DELETE_EXPIRED_SESSIONS = "DELETE FROM auth_sessions WHERE expires_at < now()"
