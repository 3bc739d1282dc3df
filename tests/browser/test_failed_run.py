"""An operator's day: find the failed run by filter, open it, read the failed step's error in the graph,
the step panel and the timeline, retry it, and watch it complete. Saves the README's screenshots."""

import re

import httpx
import pytest
from browser_actions import CHARGE, ECHO, Declines
from dashboard_ui import (
    by_id,
    confirm_dialog,
    filter_runs,
    row,
    screenshot,
    sign_in,
    step_node,
    timeline_bars,
)
from playwright.sync_api import Page, expect

from harness.api import define, trigger, wait_run

pytestmark = pytest.mark.integration

WORKFLOW = "order-fulfilment"
STEPS = [
    {"id": "reserve-stock", "action": ECHO},
    # heartbeatSeconds: the worker reports STARTED at once, so the timeline also has running bars
    {
        "id": "charge-card",
        "action": CHARGE,
        "dependsOn": ["reserve-stock"],
        "retry": {"maxAttempts": 1},
        "heartbeatSeconds": 30,
    },
    {"id": "ship", "action": ECHO, "dependsOn": ["charge-card"]},
    {"id": "email-receipt", "action": ECHO, "dependsOn": ["charge-card"]},
]


def test_find_a_failed_run_read_its_error_retry_it_and_watch_it_complete(
    page: Page, api: httpx.Client, operator_key: str, worker: None, declines: Declines
) -> None:
    define(api, {"id": WORKFLOW, "steps": STEPS})
    orders = [{"order": n, "sku": f"SKU-{n:03}", "declineOnce": n == 3} for n in range(1, 9)]
    run_ids = [trigger(api, WORKFLOW, order) for order in orders]
    ended = {run_id: wait_run(api, run_id)["status"] for run_id in run_ids}
    failed = run_ids[2]
    assert ended == {run_id: "FAILED" if run_id == failed else "COMPLETED" for run_id in run_ids}

    sign_in(page, operator_key)
    rows = filter_runs(page, workflow=WORKFLOW, statuses=("FAILED",))
    expect(page).to_have_url(re.compile(r"status=FAILED"))
    expect(rows).to_have_count(1)
    expect(by_id(page, "status-count-FAILED")).to_have_attribute("data-count", "1")
    expect(by_id(page, "status-count-COMPLETED")).to_have_attribute("data-count", str(len(orders) - 1))
    expect(by_id(row(page, failed), "run-error")).to_have_text(
        "charge-card: CardDeclined: card declined for order 3"
    )

    filter_runs(page, workflow=WORKFLOW)
    expect(rows).to_have_count(len(orders))
    expect(row(page, failed)).to_have_attribute("data-status", "FAILED")
    screenshot(page, "runs.png")

    filter_runs(page, workflow=WORKFLOW, statuses=("FAILED",))
    expect(rows).to_have_count(1)
    by_id(row(page, failed), "run-link").click()
    expect(page).to_have_url(re.compile(f"/ui/runs/{failed}$"))
    detail = by_id(page, "run-detail")
    expect(detail).to_have_attribute("data-status", "FAILED")

    # the graph: the step out of attempts (dead-lettered) drawn as failed, with its attempt count;
    # the step after it never started
    charge = step_node(page, "charge-card")
    expect(step_node(page, "reserve-stock")).to_have_attribute("data-status", "COMPLETED")
    expect(charge).to_have_attribute("data-status", "DEAD_LETTERED")
    expect(charge).to_have_class(re.compile(r"\btone-bad\b"))
    expect(charge).to_have_attribute("data-attempts", "1")
    expect(by_id(charge, "step-node-badge")).to_have_text("DEAD_LETTERED · attempt 1")
    expect(step_node(page, "ship")).to_have_attribute("data-attempts", "0")
    # a click on the failed step shows its error
    charge.click()
    panel = by_id(page, "step-panel")
    expect(panel).to_have_attribute("data-step-id", "charge-card")
    expect(by_id(panel, "error-type")).to_have_text("CardDeclined")
    expect(by_id(panel, "error-message")).to_have_text("card declined for order 3")
    expect(by_id(by_id(page, "run-error"), "error-message")).to_have_text("card declined for order 3")
    # the timeline: the failed attempt on the step's lane
    expect(by_id(page, "timeline")).to_be_visible()
    charge_bars = timeline_bars(page, "charge-card")
    expect(charge_bars.and_(page.locator('[data-state="COMPLETED"]'))).to_have_count(0)
    expect(charge_bars.last).to_have_attribute("data-state", "FAILED")
    expect(charge_bars.last).to_have_class(re.compile(r"\bstate-failed\b"))
    expect(page.locator('[data-testid="event-row"][data-event-type="RUN_FAILED"]')).to_have_count(1)

    expect(by_id(page, "run-cancel")).to_be_disabled()
    by_id(page, "run-retry").click()
    confirm_dialog(page, dry_run="1 run (FAILED)", result="Retry started.")

    expect(detail).to_have_attribute("data-status", "COMPLETED", timeout=30_000)
    expect(step_node(page, "charge-card")).to_have_attribute("data-status", "COMPLETED")
    # a run's retry starts a new generation of its failed steps: attempt 1 again
    expect(step_node(page, "charge-card")).to_have_attribute("data-attempts", "1")
    expect(step_node(page, "ship")).to_have_attribute("data-status", "COMPLETED")
    expect(step_node(page, "email-receipt")).to_have_attribute("data-status", "COMPLETED")
    expect(by_id(page, "run-retry")).to_be_disabled()
    expect(by_id(page, "run-output")).to_contain_text('"charged": true')
    # the failed attempt, then the retry's, on the same lane
    expect(charge_bars.and_(page.locator('[data-state="FAILED"]'))).not_to_have_count(0)
    expect(charge_bars.last).to_have_attribute("data-state", "COMPLETED")
    expect(timeline_bars(page, "ship").last).to_have_attribute("data-state", "COMPLETED")
    screenshot(page, "run-detail.png")
    completed = page.locator('[data-testid="event-row"][data-event-type="RUN_COMPLETED"]')
    expect(
        completed,
        "the history shown while the run ran should gain RUN_COMPLETED once it ends (without a reload)",
    ).to_have_count(1)

    assert declines.calls["3"] == 2  # declined once, charged on the retry
    assert api.get(f"/workflow/run/{failed}").json()["status"] == "COMPLETED"
