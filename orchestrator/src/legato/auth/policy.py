"""When credentials are required, and which scope each request needs."""

import ipaddress
import re
from enum import Enum


class AuthMode(Enum):
    OFF = "off"  # credentials are ignored
    OPTIONAL = "optional"  # no credentials: full access; given credentials are checked
    REQUIRED = "required"


class AuthConfigError(ValueError):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(setting: str, host: str) -> AuthMode:
    """LEGATO_AUTH for an API bound to `host`: required beyond loopback, optional by default on it."""
    value = setting.strip().lower()
    if not value:
        return AuthMode.OPTIONAL if is_loopback(host) else AuthMode.REQUIRED
    try:
        mode = AuthMode(value)
    except ValueError:
        raise AuthConfigError(f"LEGATO_AUTH={setting!r}: must be required, optional or off") from None
    if mode is not AuthMode.REQUIRED and not is_loopback(host):
        raise AuthConfigError(
            f"LEGATO_AUTH={value} while the API binds {host}: auth is required beyond loopback "
            "(unset LEGATO_AUTH or set it to required, and create a key with `legato keys create`)"
        )
    return mode


PUBLIC = re.compile(
    r"^/(healthz|readyz|docs|docs/.*|redoc|openapi\.json|ui|ui/.*|auth/session|favicon\.ico)$"
)
# Starting a run (or a batch of runs), sending one a signal (a webhook, a human's approval), firing a
# schedule now: what a trigger key may do.
TRIGGER = re.compile(r"^/(workflow/([^/]+/trigger(/batch)?|run/[^/]+/signal/[^/]+)|schedules/[^/]+/trigger)$")
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def required_scope(method: str, path: str) -> str | None:
    """The scope a request needs; None for what anyone may reach (probes, docs, the dashboard's
    static files and sign-in; the dashboard's data comes from the API and needs a key)."""
    if PUBLIC.match(path):
        return None
    if path.startswith("/auth/keys"):
        return "admin"
    if method in SAFE:
        return "read"
    if method == "POST" and TRIGGER.match(path):
        return "trigger"
    return "operate"
