"""What a person does in the dashboard, as Playwright steps, and the watch kept on every tab.

Every wait is an auto-waiting `expect(...)`; nothing sleeps."""

import re
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Dialog, Locator, Page, expect

from harness.orchestrator import REPO

SCREENSHOTS = REPO / "docs" / "screenshots"

# Runs before any of the page's own scripts: a flag a hostile value would set if it ever ran, and a
# record of what the CSP blocked (markup rendered as HTML would show up there even if it did not run).
_WATCH = """
window.__xss = 0;
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
"""


class Guard:
    """Records dialogs (dismissed), uncaught page errors and console messages of the tabs it watches."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []
        self.console: list[str] = []

    def watch(self, page: Page) -> None:
        page.add_init_script(_WATCH)
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", self._console)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    def assert_quiet(self) -> None:
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"
        assert self.page_errors == [], f"uncaught errors: {self.page_errors}"

    def assert_no_script_ran(self, page: Page) -> None:
        assert page.evaluate("window.__xss") == 0, "a value from a run ran as script"
        assert page.evaluate("window.__cspViolations") == [], "markup from a run reached the DOM"
        self.assert_quiet()


def by_id(page: Page | Locator, test_id: str) -> Locator:
    return page.get_by_test_id(test_id)


def sign_in(page: Page, key: str, path: str = "/ui/") -> None:
    """Open `path`, meet the sign-in form, exchange the key for a session."""
    page.goto(path)
    expect(by_id(page, "sign-in")).to_be_visible()
    by_id(page, "sign-in-key").fill(key)
    by_id(page, "sign-in-submit").click()
    expect(by_id(page, "sign-in")).to_have_count(0)
    expect(by_id(page, "sign-out")).to_be_visible()


def filter_runs(page: Page, *, workflow: str = "", statuses: tuple[str, ...] = (), text: str = "") -> Locator:
    """Fill the run filters, apply them, and return the table's rows."""
    by_id(page, "nav-runs").click()
    expect(by_id(page, "runs-view")).to_be_visible()
    for status in ("PENDING", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELLED"):
        by_id(page, f"filter-status-{status}").set_checked(status in statuses)
    by_id(page, "filter-workflowId").fill(workflow)
    by_id(page, "filter-q").fill(text)
    by_id(page, "filter-apply").click()
    if workflow:
        expect(page).to_have_url(re.compile(f"[?&]workflowId={re.escape(workflow)}(&|$)"))
    return by_id(page, "run-row")


def row(page: Page, run_id: str) -> Locator:
    return page.locator(f'[data-testid="run-row"][data-run-id="{run_id}"]')


def step_node(page: Page, step_id: str) -> Locator:
    return page.locator(f'[data-testid="step-node"][data-step-id="{step_id}"]')


def timeline_bars(page: Page, step_id: str) -> Locator:
    return page.locator(f'[data-testid="timeline-bar"][data-lane="{step_id}"]')


def confirm_dialog(page: Page, dry_run: str, result: str) -> None:
    """The dry-run count first; only then the real action, and its result."""
    dialog = by_id(page, "dialog")
    expect(dialog).to_be_visible()
    expect(by_id(dialog, "dialog-dry-run-count")).to_contain_text(dry_run)
    by_id(dialog, "dialog-confirm").click()
    expect(by_id(dialog, "dialog-result")).to_contain_text(result)
    by_id(dialog, "dialog-close").click()
    expect(dialog).to_have_count(0)


def screenshot(page: Page, name: str) -> Path:
    """Overwrite docs/screenshots/<name> (shown in the README) with the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
