"""Key and token material: random, shown once, stored as a SHA-256."""

import hashlib
import secrets

KEY_PREFIX = "lgt_"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex: a fast hash is right for high-entropy secrets (no dictionary to try)."""
    return hashlib.sha256(secret.encode()).hexdigest()
