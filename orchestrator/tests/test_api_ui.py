"""The dashboard's static serving at /ui/ (legato.api.ui): files, SPA fallback, caching, headers."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from legato.api import ui

# anyio's pytest plugin runs the async tests (it ships with anyio, which Starlette uses)
pytestmark = [pytest.mark.unit, pytest.mark.anyio]

INDEX = '<!doctype html><script type="module" src="/ui/assets/app-1a2b3c.js"></script>'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "app-1a2b3c.js").write_text("console.log('hi')")
    (tmp_path / "robots.txt").write_text("User-agent: *")
    (tmp_path.parent / "secret.txt").write_text("outside the dist folder")
    monkeypatch.setenv("LEGATO_DASHBOARD_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(ui.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_index_is_served_uncached_with_a_strict_csp(dist: Path, client: httpx.AsyncClient) -> None:
    r = await client.get("/ui/")
    assert r.status_code == 200
    assert r.text == INDEX
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


async def test_client_routes_fall_back_to_index(dist: Path, client: httpx.AsyncClient) -> None:
    for path in ("/ui/runs", "/ui/runs/0192f0c4-5b1e-7c3a-8f00-000000000001", "/ui/dead-letters/x"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert r.text == INDEX
        assert r.headers["cache-control"] == "no-store"


async def test_hashed_assets_are_cached_for_long(dist: Path, client: httpx.AsyncClient) -> None:
    r = await client.get("/ui/assets/app-1a2b3c.js")
    assert r.status_code == 200
    assert r.text == "console.log('hi')"
    assert "javascript" in r.headers["content-type"]
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" in r.headers
    other = await client.get("/ui/robots.txt")
    assert other.status_code == 200 and other.headers["cache-control"] == "no-store"


async def test_missing_assets_are_404_not_the_app(dist: Path, client: httpx.AsyncClient) -> None:
    assert (await client.get("/ui/assets/gone-123.js")).status_code == 404
    assert (await client.get("/ui/favicon.ico")).status_code == 404


async def test_nothing_outside_the_folder_is_served(dist: Path, client: httpx.AsyncClient) -> None:
    for path in ("/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/assets/../../secret.txt"):
        r = await client.get(path)
        assert "outside the dist folder" not in r.text, path


async def test_bare_prefix_redirects(dist: Path, client: httpx.AsyncClient) -> None:
    r = await client.get("/ui")
    assert r.status_code == 308 and r.headers["location"] == "/ui/"


async def test_an_unbuilt_dashboard_names_the_make_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient
) -> None:
    monkeypatch.setenv("LEGATO_DASHBOARD_DIR", str(tmp_path / "nothing-here"))
    r = await client.get("/ui/runs")
    assert r.status_code == 503
    assert "make dashboard-build" in r.text
    assert "content-security-policy" in r.headers


def test_default_location_is_the_checkouts_dashboard_dist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGATO_DASHBOARD_DIR", raising=False)
    expected = Path(__file__).resolve().parents[2] / "dashboard" / "dist"
    assert ui.dashboard_dir() == expected
