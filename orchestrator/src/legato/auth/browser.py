"""Refuse what a web page could make a browser send to the API (pure ASGI, after authentication).

With auth optional (loopback, no key) a request without credentials acts as an admin, and any page
the user opens can make the browser send requests to 127.0.0.1. So (docs/security.md):

- the `Host` must be a loopback name or one of LEGATO_ALLOWED_HOSTS (400): a page whose own name
  was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name. Checked whenever requests without
  credentials are served (optional, off), and in required mode once LEGATO_ALLOWED_HOSTS is set;
  the probes answer any Host;
- an unsafe request without credentials must come from the API's own origin (403): browsers say
  where a request comes from in `Origin` and `Sec-Fetch-Site`; curl sends neither;
- a body must be declared JSON (415), in every mode: a page may send text/plain or a form to
  another origin without asking (no CORS preflight), never application/json.
"""

import ipaddress
import logging
import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from legato.auth.middleware import headers_of, refuse
from legato.auth.policy import SAFE, AuthConfigError, AuthMode, is_loopback
from legato.auth.scopes import ANONYMOUS

log = logging.getLogger(__name__)

AUTHORITY = re.compile(r"^(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9._-]+))(?::(?P<port>[0-9]{1,5}))?$")
DEFAULT_PORTS = {"http": 80, "https": 443}
PROBES = frozenset({"/healthz", "/readyz"})
SAME_ORIGIN = frozenset({"same-origin", "none"})  # Sec-Fetch-Site: none is the user's own navigation


def split_authority(value: str) -> tuple[str, int | None] | None:
    """A `Host` value's name (lower case, IPv6 without brackets) and port; None when malformed."""
    found = AUTHORITY.match(value.strip().lower())
    if found is None:
        return None
    port = int(found["port"]) if found["port"] else None
    if found["v6"] is None:
        return found["name"], port
    try:
        return str(ipaddress.IPv6Address(found["v6"])), port  # one spelling per address
    except ValueError:
        return None


def allowed_hosts(setting: str) -> frozenset[str]:
    """LEGATO_ALLOWED_HOSTS: comma-separated host names or addresses (a port is ignored)."""
    names = set()
    for entry in filter(None, (e.strip() for e in setting.split(","))):
        try:
            names.add(str(ipaddress.ip_address(entry)))  # a bare IPv6 address
            continue
        except ValueError:
            pass
        parsed = split_authority(entry)
        if parsed is None:
            raise AuthConfigError(
                f"LEGATO_ALLOWED_HOSTS: {entry!r} is not a host name "
                "(give names or addresses such as legato.internal, without scheme or path)"
            )
        names.add(parsed[0])
    return frozenset(names)


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class BrowserGuard:
    def __init__(self, app: ASGIApp, mode: AuthMode, allowed: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.allowed = allowed
        self.check_host = mode is not AuthMode.REQUIRED or bool(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = headers_of(scope)
        problem = self._problem(scope, headers)
        if problem is not None:
            log.info("%s %s refused: %s", scope["method"], scope["path"], problem[1])
            await refuse(send, *problem)
            return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host")
        if self._host_checked(scope, host) and not self._host_allowed(host):
            return 400, (
                f"Host {host!r} is not a name of this API: only loopback names and "
                "LEGATO_ALLOWED_HOSTS are answered (docs/security.md)"
            )
        if scope["method"] in SAFE:
            return None
        anonymous = scope.get("state", {}).get("principal") is ANONYMOUS
        if anonymous and (where := _foreign(scope, headers)) is not None:
            return 403, (
                f"cross-site request refused ({where}): without credentials only the API's own "
                "origin may change anything; send Authorization: Bearer <key>"
            )
        content_type = headers.get("content-type")
        if content_type is not None and not is_json(content_type):
            return 415, f"Content-Type {content_type!r} is not JSON: send Content-Type: application/json"
        if content_type is None and _has_body(headers):
            return 415, "a request body needs Content-Type: application/json"
        return None

    def _host_checked(self, scope: Scope, host: str | None) -> bool:
        # No Host: HTTP/1.0, never a browser's request.
        return self.check_host and host is not None and scope["path"] not in PROBES

    def _host_allowed(self, host: str | None) -> bool:
        parsed = split_authority(host or "")
        return parsed is not None and (is_loopback(parsed[0]) or parsed[0] in self.allowed)


def _has_body(headers: dict[str, str]) -> bool:
    length = headers.get("content-length", "")
    return "transfer-encoding" in headers or (length.isdigit() and int(length) > 0)


def _foreign(scope: Scope, headers: dict[str, str]) -> str | None:
    """What says a browser sent this from another site or origin; None when nothing does."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() not in SAME_ORIGIN:
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = headers.get("origin")
    if origin is None:
        return None
    sent = _origin_of(origin)
    if sent is None or sent != _own_origin(scope, headers):
        return f"Origin: {origin}"
    return None


def _origin_of(origin: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, name = parts.scheme.lower(), parts.hostname
    if not name or scheme not in DEFAULT_PORTS:
        return None  # "null" (a sandboxed or file: page) and anything else is not an origin of ours
    return scheme, name, port or DEFAULT_PORTS[scheme]


def _own_origin(scope: Scope, headers: dict[str, str]) -> tuple[str, str, int] | None:
    scheme = str(scope.get("scheme", "http"))
    host = headers.get("host")
    if host is None:
        server = scope.get("server")
        return None if server is None else (scheme, str(server[0]), int(server[1]))
    parsed = split_authority(host)
    if parsed is None:
        return None
    return scheme, parsed[0], parsed[1] or DEFAULT_PORTS.get(scheme, 80)
