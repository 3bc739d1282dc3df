"""A run that waits for a signal: pause it and resume it from its page, then approve it through the
signal form (bad JSON refused first): the signal's payload becomes the step's output and the run
completes."""

import httpx
import pytest
from browser_actions import ECHO
from dashboard_ui import by_id, confirm_dialog, sign_in, step_node
from playwright.sync_api import Page, expect

from harness.api import define, trigger, wait_run

pytestmark = pytest.mark.integration

WORKFLOW = "expense-approval"
STEPS = [
    {"id": "check", "action": ECHO},
    {"id": "approve", "signal": {"name": "approval"}, "dependsOn": ["check"]},
]


def test_pause_resume_and_approve_a_run_through_its_signal_form(
    page: Page, api: httpx.Client, operator_key: str, worker: None
) -> None:
    define(api, {"id": WORKFLOW, "steps": STEPS})
    run_id = trigger(api, WORKFLOW, {"expense": 42})
    wait_run(api, run_id, {"RUNNING"})

    sign_in(page, operator_key, path=f"/ui/runs/{run_id}")
    detail = by_id(page, "run-detail")
    approve = step_node(page, "approve")
    expect(approve).to_have_attribute("data-status", "WAITING")  # the page follows the running run
    expect(by_id(approve, "step-node-kind")).to_have_text("‖ signal: approval")
    expect(detail).to_have_attribute("data-status", "RUNNING")
    expect(by_id(page, "run-resume")).to_be_disabled()

    by_id(page, "run-pause").click()
    confirm_dialog(page, dry_run="1 run (RUNNING) would be paused", result="Run paused.")
    expect(detail).to_have_attribute("data-status", "PAUSED")
    expect(by_id(page, "run-status")).to_have_text("PAUSED")
    expect(by_id(page, "run-pause")).to_be_disabled()
    expect(by_id(page, "run-cancel")).to_be_enabled()
    expect(page.locator('[data-testid="event-row"][data-event-type="RUN_PAUSED"]')).to_have_count(1)
    assert api.get(f"/workflow/run/{run_id}").json()["status"] == "PAUSED"

    by_id(page, "run-resume").click()
    confirm_dialog(page, dry_run="1 run (PAUSED) would resume", result="Run resumed.")
    expect(detail).to_have_attribute("data-status", "RUNNING")
    expect(approve).to_have_attribute("data-status", "WAITING")

    approve.click()
    panel = by_id(page, "step-panel")
    expect(panel).to_have_attribute("data-step-id", "approve")
    expect(by_id(panel, "step-signal")).to_have_text("approval")
    payload = by_id(panel, "signal-payload")
    payload.fill("{ok: true}")
    expect(by_id(panel, "signal-payload-error")).to_contain_text("not valid JSON")
    expect(by_id(panel, "signal-send")).to_be_disabled()
    payload.fill('{"ok": true}')
    expect(by_id(panel, "signal-payload-error")).to_have_count(0)
    by_id(panel, "signal-send").click()
    result = by_id(panel, "signal-result")
    expect(result).to_contain_text("Signal approval sent")
    expect(result).to_have_attribute("data-duplicate", "false")

    expect(detail).to_have_attribute("data-status", "COMPLETED", timeout=30_000)
    expect(approve).to_have_attribute("data-status", "COMPLETED")
    expect(by_id(panel, "signal-form")).to_have_count(0)
    expect(by_id(panel, "step-output")).to_contain_text('"ok": true')
    received = by_id(page, "signal-row")
    expect(received).to_have_count(1)
    expect(received).to_have_attribute("data-consumed", "true")
    expect(by_id(received, "signal-step")).to_have_text("approve")
    assert wait_run(api, run_id)["status"] == "COMPLETED"


def test_a_live_run_page_follows_the_runs_event_stream(
    page: Page, api: httpx.Client, operator_key: str
) -> None:
    """The page opens the run's event stream (signed in: the session cookie goes with it) and shows
    what happens elsewhere (a signal sent through the API) as the stream tells it."""
    define(api, {"id": "streamed-approval", "steps": [{"id": "approve", "signal": {"name": "approval"}}]})
    run_id = trigger(api, "streamed-approval", {"expense": 7})
    streams: list[str] = []
    stream = f"/workflow/run/{run_id}/events/stream"
    page.on("request", lambda r: streams.append(r.url) if r.url.endswith(stream) else None)

    sign_in(page, operator_key, path=f"/ui/runs/{run_id}")
    approve = step_node(page, "approve")
    expect(approve).to_have_attribute("data-status", "WAITING")
    assert streams, "the run's page did not open its event stream"

    sent = api.post(f"/workflow/run/{run_id}/signal/approval", json={"payload": {"ok": True}})
    assert sent.status_code == 200, sent.text
    expect(by_id(page, "run-detail")).to_have_attribute("data-status", "COMPLETED", timeout=30_000)
    expect(approve).to_have_attribute("data-status", "COMPLETED")
    expect(page.locator('[data-testid="event-row"][data-event-type="SIGNAL_CONSUMED"]')).to_have_count(1)
    expect(by_id(page, "live-indicator")).to_have_count(0)  # an ended run is not followed any more
