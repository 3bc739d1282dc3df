# ruff: noqa: N815 - the API's field names
"""Answers of the dashboard session and of API key management."""

from typing import Literal

from legato.api.models._base import Answer, Timestamp, Uuid

Scope = Literal["read", "trigger", "operate", "admin"]


class Session(Answer):
    authRequired: bool
    signedIn: bool
    name: str | None
    scope: Scope | None
    csrfToken: str | None  # sent back in X-CSRF-Token on unsafe requests


class ApiKey(Answer):
    """A key as listed: never the key itself, only its first characters (`prefix`)."""

    id: Uuid
    name: str
    scope: Scope
    prefix: str
    createdAt: Timestamp
    lastUsedAt: Timestamp | None
    revokedAt: Timestamp | None


class ApiKeys(Answer):
    keys: list[ApiKey]


class NewApiKey(Answer):
    """The only answer that holds the key."""

    id: Uuid
    name: str
    scope: Scope
    key: str
    createdAt: Timestamp


class RevokedKeys(Answer):
    revoked: list[str]  # the names revoked (none or one)
