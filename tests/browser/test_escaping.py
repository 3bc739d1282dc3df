"""Values from a run are text: markup in a step's output, in an error's type and message, and in a run's
input shows as characters and never runs, even with the dashboard's CSP switched off."""

import httpx
import pytest
from browser_actions import HOSTILE, XSS_IMG, XSS_SCRIPT
from dashboard_ui import Guard, by_id, filter_runs, row, sign_in, step_node
from playwright.sync_api import Page, expect

from harness.api import define, trigger, wait_run

pytestmark = pytest.mark.integration

WORKFLOW = "hostile-values"


def test_markup_in_outputs_errors_and_inputs_renders_as_text(
    unsafe_page: Page, guard: Guard, api: httpx.Client, operator_key: str, worker: None
) -> None:
    page = unsafe_page
    define(api, {"id": WORKFLOW, "steps": [{"id": "render", "action": HOSTILE}]})
    succeeded = trigger(api, WORKFLOW, {"fail": False, "comment": XSS_SCRIPT})
    failed = trigger(api, WORKFLOW, {"fail": True})
    assert wait_run(api, succeeded)["status"] == "COMPLETED"
    assert wait_run(api, failed)["status"] == "FAILED"

    sign_in(page, operator_key)
    filter_runs(page, workflow=WORKFLOW)
    expect(by_id(row(page, failed), "run-error")).to_contain_text(XSS_IMG + XSS_SCRIPT)
    expect(by_id(page, "runs-table").locator("img, script")).to_have_count(0)

    by_id(row(page, succeeded), "run-link").click()
    expect(by_id(page, "run-detail")).to_have_attribute("data-status", "COMPLETED")
    output = by_id(page, "step-output")
    expect(output).to_contain_text(XSS_IMG.replace('"', '\\"'))  # JSON-escaped quotes, as text
    expect(output).to_contain_text(XSS_SCRIPT)
    expect(by_id(page, "run-input")).to_contain_text(XSS_SCRIPT)
    expect(by_id(page, "run-output")).to_contain_text(XSS_SCRIPT)
    expect(page.locator("main img, main script")).to_have_count(0)
    guard.assert_no_script_ran(page)

    page.go_back()
    by_id(row(page, failed), "run-link").click()
    expect(by_id(page, "run-detail")).to_have_attribute("data-status", "FAILED")
    step_node(page, "render").click()
    panel = by_id(page, "step-panel")
    expect(by_id(panel, "error-type")).to_have_text("Hostile" + XSS_SCRIPT)
    expect(by_id(panel, "error-message")).to_have_text(XSS_IMG + XSS_SCRIPT)
    expect(by_id(page, "run-error").locator("[data-testid=error-message]")).to_have_text(XSS_IMG + XSS_SCRIPT)
    expect(page.get_by_test_id("event-row").locator("img, script")).to_have_count(0)
    expect(page.locator("main img, main script")).to_have_count(0)
    guard.assert_no_script_ran(page)


def test_the_dashboard_is_served_with_a_csp_that_forbids_inline_scripts(page: Page) -> None:
    response = page.goto("/ui/")
    assert response is not None and response.ok
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    expect(by_id(page, "sign-in")).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []  # the app itself needs nothing inline
