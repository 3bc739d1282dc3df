"""Flow control in the dashboard: an action's limits set on the Limits page (a 422 shown under the form
first), listed with the jobs they hold: of two runs of an action limited to one at a time and served by
no worker, one job is in flight and the other throttled, and that step says it waits for a slot of its
action; a run queued behind its concurrency key is PENDING, found by the status filter, and says what it
waits for; the limits cleared after a dialog."""

import re
from collections.abc import Iterator

import httpx
import pytest
from browser_actions import PARKED
from dashboard_ui import by_id, confirm_dialog, filter_runs, row, sign_in
from playwright.sync_api import Locator, Page, expect

from harness.api import define, trigger, wait_run

pytestmark = pytest.mark.integration

METERED = "metered"  # limited here, served by no worker: a job sent out stays in flight
LIMITED = "metered-export"
KEYED = "per-customer-sync"


@pytest.fixture
def runs(api: httpx.Client) -> Iterator[list[str]]:
    """The runs the test starts, cancelled at its end (none of them can ever finish)."""
    started: list[str] = []
    yield started
    for run_id in started:
        api.post(f"/workflow/run/{run_id}/cancel")


def limit_row(page: Page) -> Locator:
    return page.locator(f'[data-testid="limit-row"][data-action="{METERED}"]')


def set_limit(page: Page, max_concurrent: str, rate: str = "", period: str = "") -> None:
    form = by_id(page, "limit-form")
    by_id(form, "limit-action").fill(METERED)
    by_id(form, "limit-max-concurrent-input").fill(max_concurrent)
    by_id(form, "limit-rate-limit-input").fill(rate)
    by_id(form, "limit-period-input").fill(period)
    by_id(form, "limit-save").click()


def test_limits_set_a_throttled_step_a_pending_run_and_limits_cleared(
    page: Page, api: httpx.Client, operator_key: str, runs: list[str]
) -> None:
    sign_in(page, operator_key, path="/ui/limits")
    expect(by_id(page, "limits-view")).to_be_visible()

    set_limit(page, "0")
    expect(by_id(page, "limit-error")).to_contain_text("Not saved (422): maxConcurrent: ")
    expect(limit_row(page)).to_have_count(0)

    set_limit(page, "1", "100", "1")
    expect(by_id(page, "limit-result")).to_have_text(
        f"Limits of {METERED} saved: at most 1 at a time, 100 / 1 s."
    )
    expect(by_id(page, "limit-error")).to_have_count(0)
    listed = limit_row(page)
    expect(by_id(listed, "limit-max-concurrent")).to_have_text("1")
    expect(by_id(listed, "limit-rate")).to_have_text("100 / 1 s")
    expect(by_id(listed, "limit-throttled")).to_have_attribute("data-count", "0")

    define(api, {"id": LIMITED, "steps": [{"id": "export", "action": METERED}]})
    runs.extend(trigger(api, LIMITED, {"file": n}) for n in range(2))
    expect(by_id(listed, "limit-in-flight")).to_have_attribute("data-count", "1")
    expect(by_id(listed, "limit-throttled")).to_have_attribute("data-count", "1")

    # The throttled one: the run whose step says it waits.
    waiting = [r for r in runs if api.get(f"/workflow/run/{r}").json()["steps"][0].get("waitingFor")]
    assert len(waiting) == 1, [api.get(f"/workflow/run/{r}").json() for r in runs]
    page.goto(f"/ui/runs/{waiting[0]}")
    panel = by_id(page, "step-panel")  # a waiting step is the one shown first
    expect(panel).to_have_attribute("data-step-id", "export")
    expect(by_id(panel, "step-waiting-for")).to_have_text(f"Waiting for a slot of action {METERED}")
    node = page.locator('[data-testid="step-node"][data-step-id="export"]')
    expect(node).to_have_attribute("data-waiting-for", f"a slot of action {METERED}")
    expect(by_id(node, "step-node-badge")).to_contain_text("waiting")
    expect(by_id(panel, "step-live-attempt")).to_have_attribute("data-state", "throttled")

    keyed = {"key": "${input.k}", "limit": 1, "onLimit": "queue"}
    define(api, {"id": KEYED, "concurrency": keyed, "steps": [{"id": "sync", "action": PARKED}]})
    first = trigger(api, KEYED, {"k": "cust-1"})
    answer = api.post(f"/workflow/{KEYED}/trigger", json={"input": {"k": "cust-1"}, "priority": 2})
    assert answer.status_code == 200, answer.text
    queued = answer.json()["runId"]
    runs.extend([first, queued])
    wait_run(api, queued, {"PENDING"})

    rows = filter_runs(page, workflow=KEYED, statuses=("PENDING",))
    expect(rows).to_have_count(1)
    expect(row(page, queued)).to_have_attribute("data-status", "PENDING")
    by_id(row(page, queued), "run-link").click()
    expect(by_id(page, "run-detail")).to_have_attribute("data-run-id", queued)
    status = by_id(page, "run-status")
    expect(status).to_have_text("PENDING")
    expect(status).to_have_class(re.compile(r"\btone-pending\b"))
    expect(by_id(page, "run-waiting-for")).to_have_text(
        "Waiting for a free slot of concurrency key 'cust-1' (limit 1)"
    )
    expect(by_id(page, "run-priority")).to_have_attribute("data-priority", "2")
    expect(by_id(page, "run-concurrency-key")).to_have_text("cust-1")

    by_id(page, "nav-limits").click()
    by_id(limit_row(page), "limit-clear").click()
    confirm_dialog(
        page,
        dry_run="(at most 1 at a time, 100 / 1 s; 1 in flight, 1 throttled) would have no limit",
        result=f"Limits of {METERED} cleared.",
    )
    expect(limit_row(page)).to_have_count(0)
    assert api.get(f"/actions/{METERED}/limits").status_code == 404
