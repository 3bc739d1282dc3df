"""The operator dashboard (`dashboard/`, a built single-page app) at /ui/.

Files come from `LEGATO_DASHBOARD_DIR` (default: the checkout's `dashboard/dist`). Hashed assets are
cached for a year; `index.html` is never cached, and it answers every client route (/ui/runs/<id>)
so deep links work. Every answer carries a CSP that allows no inline script or style.
"""

import os
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

PREFIX = "/ui"
BUILD_TARGET = "make dashboard-build"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
IMMUTABLE = "public, max-age=31536000, immutable"
NO_STORE = "no-store"

router = APIRouter(include_in_schema=False)


def dashboard_dir() -> Path:
    """`LEGATO_DASHBOARD_DIR`, else `dashboard/dist` of the checkout this package is installed from."""
    configured = os.environ.get("LEGATO_DASHBOARD_DIR")
    if configured:
        return Path(configured)
    # orchestrator/src/legato/api/ui.py -> the repository root is four folders up
    return Path(__file__).resolve().parents[4] / "dashboard" / "dist"


def _headers(cache: str) -> dict[str, str]:
    return {**SECURITY_HEADERS, "Cache-Control": cache}


def _not_built(root: Path) -> HTMLResponse:
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Legato dashboard not built</title>"
        "</head><body><h1>The Legato dashboard is not built</h1>"
        f"<p>No <code>index.html</code> in <code>{_escape(str(root))}</code>.</p>"
        f"<p>Build it with <code>{BUILD_TARGET}</code> (it runs <code>npm ci</code> and "
        "<code>npm run build</code> in <code>dashboard/</code>), or point <code>LEGATO_DASHBOARD_DIR</code> "
        "at a built <code>dist</code> folder.</p></body></html>"
    )
    return HTMLResponse(page, status_code=503, headers=_headers(NO_STORE))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")


def _looks_like_file(path: str) -> bool:
    """A missing asset is a 404, not the app: only extension-less paths are client routes."""
    last = path.rsplit("/", 1)[-1]
    return path.startswith("assets/") or "." in last


@router.api_route(PREFIX, methods=["GET", "HEAD"])
def ui_root() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/", status_code=308)


@router.api_route(PREFIX + "/{path:path}", methods=["GET", "HEAD"])
def ui(path: str) -> Response:
    root = dashboard_dir().resolve()
    index = root / "index.html"
    if not index.is_file():
        return _not_built(root)
    if path:
        target = (root / path).resolve()
        if target.is_relative_to(root) and target.is_file() and target != index:
            cache = IMMUTABLE if target.parent == root / "assets" else NO_STORE
            return FileResponse(target, headers=_headers(cache))
        if _looks_like_file(path):
            return Response("not found", status_code=404, media_type="text/plain", headers=_headers(NO_STORE))
    return FileResponse(index, media_type="text/html", headers=_headers(NO_STORE))
