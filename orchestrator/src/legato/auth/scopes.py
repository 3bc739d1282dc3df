"""Scopes, each including the ones before it: read < trigger < operate < admin."""

from dataclasses import dataclass
from uuid import UUID

SCOPES = ("read", "trigger", "operate", "admin")


def allows(have: str, need: str) -> bool:
    return SCOPES.index(have) >= SCOPES.index(need)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key (directly or through a session), or nobody when auth is not required."""

    name: str
    scope: str
    key_id: UUID | None = None
    via_session: bool = False


# Who a request without credentials acts as where auth is optional (or off): recorded as `by` in run
# events, so no key may take the name (legato.auth.keys).
ANONYMOUS = Principal("anonymous", "admin")
