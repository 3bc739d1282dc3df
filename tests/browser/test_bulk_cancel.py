"""Bulk-cancel every run matching a filter: the dry run counts them and changes nothing, the confirmed
action cancels exactly them, and a run outside the filter keeps running."""

import httpx
import pytest
from browser_actions import PARKED
from dashboard_ui import by_id, confirm_dialog, filter_runs, row, sign_in
from playwright.sync_api import Page, expect

from harness.api import define, trigger, wait_run

pytestmark = pytest.mark.integration

WORKFLOW = "nightly-import"


def test_bulk_cancel_all_runs_matching_a_filter_after_a_dry_run(
    page: Page, api: httpx.Client, operator_key: str
) -> None:
    # No worker serves PARKED: every run waits on its first step until it is cancelled.
    define(api, {"id": WORKFLOW, "steps": [{"id": "import", "action": PARKED}]})
    batch_a = [trigger(api, WORKFLOW, {"batch": "batch-A", "file": n}) for n in range(4)]
    batch_b = trigger(api, WORKFLOW, {"batch": "batch-B", "file": 0})
    for run_id in [*batch_a, batch_b]:
        wait_run(api, run_id, {"RUNNING"})

    sign_in(page, operator_key)
    rows = filter_runs(page, workflow=WORKFLOW, text="batch-A")
    expect(rows).to_have_count(4)
    expect(row(page, batch_b)).to_have_count(0)
    by_id(page, "select-all-matching").check()
    expect(by_id(page, "selection-count")).to_have_text("all matching")

    by_id(page, "bulk-cancel").click()
    dialog = by_id(page, "dialog")
    expect(by_id(dialog, "dialog-dry-run-count")).to_contain_text("4 runs match, 4 would be cancelled")
    statuses = {api.get(f"/workflow/run/{r}").json()["status"] for r in [*batch_a, batch_b]}
    assert statuses == {"RUNNING"}, "the dry run changed something"
    confirm_dialog(page, dry_run="4 runs match", result="4 of 4 runs cancelled.")

    for run_id in batch_a:
        expect(row(page, run_id)).to_have_attribute("data-status", "CANCELLED")
    expect(by_id(page, "status-count-CANCELLED")).to_have_attribute("data-count", "4", timeout=20_000)
    assert {wait_run(api, r)["status"] for r in batch_a} == {"CANCELLED"}
    assert api.get(f"/workflow/run/{batch_b}").json()["status"] == "RUNNING"
    cancelled = api.get(f"/workflow/run/{batch_a[0]}/events").json()["events"]
    assert [e["data"]["by"] for e in cancelled if e["type"] == "RUN_CANCELLED"] == ["oncall-browser"]

    api.post(f"/workflow/run/{batch_b}/cancel").raise_for_status()  # leave nothing running
