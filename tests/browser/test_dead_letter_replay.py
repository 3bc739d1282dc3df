"""Replay a dead letter from the dashboard: find it by filter, read where and why it died, its headers and
payload, replay it with a corrected payload after a dry run, and see its run complete."""

import re

import httpx
import pytest
from browser_actions import CHARGE, Declines
from dashboard_ui import by_id, confirm_dialog, sign_in
from playwright.sync_api import Page, expect

from harness.api import define, trigger, wait_run
from harness.waiting import until

pytestmark = pytest.mark.integration

WORKFLOW = "card-payments"


def test_replay_a_dead_letter_with_a_payload_override(
    page: Page, api: httpx.Client, operator_key: str, worker: None, declines: Declines
) -> None:
    define(api, {"id": WORKFLOW, "steps": [{"id": "charge", "action": CHARGE, "retry": {"maxAttempts": 1}}]})
    run_id = trigger(api, WORKFLOW, {"order": 901, "declineOnce": True})
    assert wait_run(api, run_id)["status"] == "FAILED"
    until(lambda: api.get("/dead-letters", params={"runId": run_id}).json()["deadLetters"], 30, "dead letter")

    sign_in(page, operator_key)
    by_id(page, "nav-dead-letters").click()
    by_id(page, "dlq-filter-workflowId").fill(WORKFLOW)
    by_id(page, "dlq-filter-replayed").select_option("false")
    by_id(page, "dlq-filter-apply").click()
    rows = by_id(page, "dead-letter-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("CardDeclined: card declined for order 901")
    by_id(rows, "dead-letter-link").click()

    panel = by_id(page, "dead-letter-panel")
    expect(by_id(panel, "dead-letter-error")).to_have_text("CardDeclined: card declined for order 901")
    dead_id = panel.get_attribute("data-dead-letter-id")
    assert dead_id
    expect(by_id(panel, "dead-letter-headers")).to_contain_text("legato-job-id")
    expect(by_id(panel, "dead-letter-headers")).to_contain_text(dead_id)
    expect(by_id(panel, "dead-letter-payload")).to_contain_text('"order": 901')

    override = by_id(panel, "payload-override")
    override.fill("{not json")
    expect(by_id(panel, "payload-override-error")).to_be_visible()
    expect(by_id(panel, "replay-one")).to_be_disabled()
    override.fill('{"order": 901, "card": "4242 4242 4242 4242"}')
    expect(by_id(panel, "payload-override-error")).to_have_count(0)
    by_id(panel, "replay-one").click()
    expect(by_id(page, "dialog-dry-run-count")).to_contain_text("1 dead letters match, 1 would be replayed")
    assert api.get(f"/dead-letters/{dead_id}").json()["replayedAt"] is None, "the dry run replayed"
    confirm_dialog(page, dry_run="1 would be replayed", result="1 of 1 dead letters replayed.")

    assert wait_run(api, run_id, {"COMPLETED"})["output"] == {
        "order": 901,
        "card": "4242 4242 4242 4242",
        "charged": True,
    }
    expect(panel.locator("dt:text-is('Replayed at') + dd")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d "))
    panel.get_by_role("link", name=run_id).click()
    expect(by_id(page, "run-detail")).to_have_attribute("data-status", "COMPLETED")
    expect(by_id(page, "run-output")).to_contain_text('"card": "4242 4242 4242 4242"')
    assert declines.calls["901"] == 2  # declined once, charged once by the replay
