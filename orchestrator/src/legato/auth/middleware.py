"""Authenticate every request once, at the edge (pure ASGI): a Bearer key or the session cookie.

401 when credentials are required and missing or wrong, 403 when the key's scope is too small or
a cookie-authenticated unsafe request lacks its CSRF token. Without credentials nobody manages keys,
even where auth is optional (401). The caller is put where run operations find its name
(legato.auth.actor) and on `request.state.principal` (ANONYMOUS: no credentials, auth not required).
"""

import hmac
from typing import Any

import orjson
from anyio import to_thread
from psycopg_pool import ConnectionPool
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from legato.auth import actor, keys, sessions
from legato.auth.policy import SAFE, AuthMode, required_scope
from legato.auth.scopes import ANONYMOUS, Principal, allows


def headers_of(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name; Cookie headers sent apart (HTTP/2) are joined."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}; {value}" if name == "cookie" and name in headers else value
    return headers


def session_token(cookie_header: str | None) -> str | None:
    """The session cookie's value. Parsed as browsers write cookies (Starlette's parser): another
    local app's cookie that the strict `http.cookies` grammar rejects must not hide ours."""
    if not cookie_header:
        return None
    return cookie_parser(cookie_header).get(sessions.COOKIE) or None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, pool: ConnectionPool, mode: AuthMode) -> None:
        self.app = app
        self.pool = pool
        self.mode = mode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        need = required_scope(method, path)
        principal, problem = await self._authenticate(method, headers_of(scope))
        if problem and need is not None:  # public routes (sign-in, probes) answer for themselves
            await refuse(send, *problem)
            return
        if problem:
            principal = None
        if principal is None and self.mode is AuthMode.REQUIRED and need is not None:
            await refuse(send, 401, "this API needs a key: send Authorization: Bearer <key>")
            return
        if principal is None and need == "admin":  # key management: never anonymous
            await refuse(send, 401, self._admin_needs_a_key())
            return
        if principal is not None and need is not None and not allows(principal.scope, need):
            await refuse(
                send, 403, f"the key {principal.name!r} has scope {principal.scope!r}; this needs {need!r}"
            )
            return
        who = principal or (None if self.mode is AuthMode.REQUIRED else ANONYMOUS)
        scope.setdefault("state", {})["principal"] = who
        token = actor.current.set(who.name if who else None)
        try:
            await self.app(scope, receive, send)
        finally:
            actor.current.reset(token)

    async def _authenticate(
        self, method: str, headers: dict[str, str]
    ) -> tuple[Principal | None, tuple[int, str] | None]:
        """Who the credentials name (None: none given), or the status and reason they are refused."""
        if self.mode is AuthMode.OFF:
            return None, None
        auth = headers.get("authorization")
        if auth is not None:
            scheme, _, key = auth.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                return None, (401, "Authorization must be 'Bearer <key>'")
            found = await to_thread.run_sync(keys.find, self.pool, key.strip())
            return (found, None) if found else (None, (401, "unknown or revoked API key"))
        token = session_token(headers.get("cookie"))
        if token is None:
            return None, None
        session = await to_thread.run_sync(sessions.find, self.pool, token)
        if session is None:
            return None, (401, "the session has expired or was signed out: sign in again")
        if method not in SAFE:
            sent = headers.get(sessions.CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                return session.principal, (403, "missing or wrong X-CSRF-Token for this session")
        return session.principal, None

    def _admin_needs_a_key(self) -> str:
        if self.mode is AuthMode.OFF:
            return "with LEGATO_AUTH=off, API keys are managed with `legato keys ... --database`"
        return (
            "managing API keys needs an admin key, even on loopback: send Authorization: Bearer <key> "
            "(the first one: `legato keys create --database`)"
        )


async def refuse(send: Send, status: int, detail: str) -> None:
    """Answer with a JSON error before the application sees the request."""
    body = orjson.dumps({"detail": detail})
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="legato"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    message: dict[str, Any] = {"type": "http.response.body", "body": body}
    await send(message)
