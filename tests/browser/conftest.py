"""Fixtures of the browser tests: Debian's Chromium driven by Playwright against the built dashboard of
one isolated `legato serve` that requires a key (LEGATO_AUTH=required), with a Python SDK worker.

Nothing here is skipped quietly: a missing Chromium or an unbuilt dashboard fails with the make target
that provides it."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from browser_actions import CHARGE, ECHO, HOSTILE, Declines, echo, hostile
from dashboard_ui import Guard
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from harness.cli import legato
from harness.orchestrator import REPO, Orchestrator
from harness.services import require_stack
from harness.workers import running_worker

LOGS = REPO / ".legato" / "logs" / "tests"
CHROMIUM = Path(os.environ.get("LEGATO_CHROMIUM", "/usr/bin/chromium"))
DASHBOARD_INDEX = REPO / "dashboard" / "dist" / "index.html"
VIEWPORT: ViewportSize = {"width": 1440, "height": 1000}

# Auto-waiting assertions wait this long by default; a run's end is awaited with its own timeout.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: run `make browser-deps` (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def secured() -> Iterator[Orchestrator]:
    """`legato serve` serving dashboard/dist at /ui/, refusing every request without a key."""
    if not DASHBOARD_INDEX.is_file():
        pytest.fail(f"{DASHBOARD_INDEX} missing: build the dashboard with `make dashboard-build`")
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS, LEGATO_AUTH="required")
    orch.start()
    yield orch
    orch.drop()


@pytest.fixture(scope="session")
def make_key(secured: Orchestrator) -> Callable[[str, str], str]:
    """`legato keys create --database --name N --scope S`, as an operator makes the first keys: the key
    is the line it prints."""

    def create(name: str, scope: str) -> str:
        return legato(
            secured, "keys", "create", "--database", "--name", name, "--scope", scope
        ).stdout.strip()

    return create


@pytest.fixture(scope="session")
def operator_key(make_key: Callable[[str, str], str]) -> str:
    return make_key("oncall-browser", "operate")


@pytest.fixture(scope="session")
def api(secured: Orchestrator, operator_key: str) -> Iterator[httpx.Client]:
    """The REST API with the operator's key: defines and triggers what the browser then looks at."""
    headers = {"Authorization": f"Bearer {operator_key}"}
    with httpx.Client(base_url=secured.url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def declines() -> Declines:
    return Declines()


@pytest.fixture(scope="session")
def worker(secured: Orchestrator, declines: Declines) -> Iterator[None]:
    with running_worker(secured, {ECHO: echo, CHARGE: declines, HOSTILE: hostile}):
        yield


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_path: Path) -> Iterator[Browser]:
    # Debian's Chromium, never a browser Playwright downloads (`playwright install` is not used).
    b = playwright.chromium.launch(executable_path=str(chromium_path), headless=True)
    yield b
    b.close()


def _context(browser: Browser, base_url: str, bypass_csp: bool = False) -> BrowserContext:
    return browser.new_context(
        base_url=base_url,
        viewport=VIEWPORT,
        bypass_csp=bypass_csp,
        locale="en-US",
        timezone_id="UTC",
    )


@pytest.fixture
def context(browser: Browser, secured: Orchestrator) -> Iterator[BrowserContext]:
    """A browser profile of the test's own: no cookie from another test."""
    ctx = _context(browser, secured.url)
    yield ctx
    ctx.close()


@pytest.fixture
def guard() -> Guard:
    return Guard()


@pytest.fixture
def page(context: BrowserContext, guard: Guard) -> Iterator[Page]:
    """A tab that records uncaught errors and dialogs; a test ends with none of either."""
    p = context.new_page()
    guard.watch(p)
    yield p
    guard.assert_quiet()


@pytest.fixture
def unsafe_page(browser: Browser, secured: Orchestrator, guard: Guard) -> Iterator[Page]:
    """A tab with the dashboard's CSP switched off: what escaping alone must hold against."""
    ctx = _context(browser, secured.url, bypass_csp=True)
    p = ctx.new_page()
    guard.watch(p)
    yield p
    ctx.close()
