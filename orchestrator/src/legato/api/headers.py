"""Security headers on every answer: no MIME sniffing, no framing, no referrer leaks. The dashboard
(/ui/) adds its own Content-Security-Policy; API answers are JSON and get a deny-all one."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [h for h in COMMON if h[0] not in present]
                if b"content-security-policy" not in present and not path.startswith(
                    ("/ui", "/docs", "/redoc")
                ):
                    headers.append(API_CSP)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
