"""Signing in: without a key the dashboard shows only the sign-in and the API refuses; a wrong key is
told; a deep link survives the sign-in; signing out closes the session for the API too; a read-only
key's session cannot cancel."""

import re
from collections.abc import Callable

import httpx
import pytest
from browser_actions import PARKED
from dashboard_ui import by_id, sign_in
from playwright.sync_api import Page, expect

from harness.api import define, trigger, unique, wait_run

pytestmark = pytest.mark.integration


def _fetch_status(page: Page, path: str) -> int:
    """What the page's own code gets from the API (same origin, with whatever cookie it holds)."""
    status: int = page.evaluate("async (path) => (await fetch(path)).status", path)
    return status


def test_without_a_key_the_dashboard_shows_the_sign_in_and_the_api_refuses(page: Page) -> None:
    page.goto("/ui/runs")
    expect(by_id(page, "sign-in")).to_be_visible()
    expect(by_id(page, "runs-view")).to_have_count(0)
    expect(by_id(page, "nav-runs")).to_have_count(0)
    expect(by_id(page, "sign-in-submit")).to_be_disabled()
    assert page.request.get("/workflow/runs").status == 401
    assert _fetch_status(page, "/workflow/runs") == 401
    assert _fetch_status(page, "/dead-letters") == 401
    refused = page.request.post("/workflow/runs/cancel", data={"filter": {}, "dryRun": True})
    assert refused.status == 401

    by_id(page, "sign-in-key").fill("lgt_not-a-real-key")
    by_id(page, "sign-in-submit").click()
    expect(by_id(page, "sign-in-error")).to_be_visible()
    expect(by_id(page, "sign-in")).to_be_visible()
    assert page.context.cookies() == []


def test_signing_in_opens_the_dashboard_and_signing_out_closes_it(page: Page, operator_key: str) -> None:
    sign_in(page, operator_key)
    expect(page).to_have_url(re.compile(r"/ui/runs$"))
    expect(by_id(page, "session")).to_contain_text("oncall-browser (operate)")
    expect(by_id(page, "runs-view")).to_be_visible()
    session = next(c for c in page.context.cookies() if c["name"] == "legato_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # the page's scripts cannot read it
    assert _fetch_status(page, "/workflow/runs") == 200

    by_id(page, "sign-out").click()
    expect(by_id(page, "sign-in")).to_be_visible()
    assert _fetch_status(page, "/workflow/runs") == 401
    page.reload()
    expect(by_id(page, "sign-in")).to_be_visible()


def test_a_deep_link_to_a_run_works_after_signing_in(
    page: Page, api: httpx.Client, operator_key: str, worker: None
) -> None:
    wid = unique("deep-link")
    define(api, {"id": wid, "steps": [{"id": "only", "action": "echo"}]})
    run_id = trigger(api, wid, {"hello": "deep link"})

    sign_in(page, operator_key, path=f"/ui/runs/{run_id}")
    expect(page).to_have_url(re.compile(f"/ui/runs/{run_id}$"))
    detail = by_id(page, "run-detail")
    expect(detail).to_have_attribute("data-run-id", run_id)
    expect(detail).to_have_attribute("data-status", "COMPLETED", timeout=30_000)
    expect(by_id(page, "run-input")).to_contain_text('"deep link"')

    page.goto(f"/ui/runs/{run_id}")  # a reload keeps the session
    expect(by_id(page, "run-detail")).to_have_attribute("data-run-id", run_id)
    page.goto("/ui/no/such/page")
    expect(by_id(page, "not-found")).to_be_visible()


def test_a_read_only_key_sees_runs_but_its_cancel_is_refused(
    page: Page, api: httpx.Client, make_key: Callable[[str, str], str]
) -> None:
    wid = unique("read-only")
    define(api, {"id": wid, "steps": [{"id": "wait-here", "action": PARKED}]})
    run_id = trigger(api, wid, {"n": 1})
    wait_run(api, run_id, {"RUNNING"})

    sign_in(page, make_key(unique("auditor"), "read"), path=f"/ui/runs/{run_id}")
    expect(by_id(page, "session")).to_contain_text("(read)")
    expect(by_id(page, "run-detail")).to_have_attribute("data-status", "RUNNING")
    by_id(page, "run-cancel").click()
    by_id(page, "dialog-confirm").click()
    expect(by_id(page, "dialog-error")).to_contain_text("'read'")
    assert api.get(f"/workflow/run/{run_id}").json()["status"] == "RUNNING"
    api.post(f"/workflow/run/{run_id}/cancel").raise_for_status()
