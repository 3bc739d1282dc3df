"""Schedules and Kafka-topic triggers in the dashboard: a schedule made over the API is listed with its
"when" and next fire; on its page "Trigger now" fires it (the fire is listed with its run, which links
back to the schedule, and the run list filters on it), pause with a note and resume; a trigger is listed
with its consumer lag, which falls to 0 once it is resumed and has started a run per record, and is
paused and resumed from its page."""

import json
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from browser_actions import ECHO
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from dashboard_ui import by_id, confirm_dialog, row, screenshot, sign_in
from playwright.sync_api import Locator, Page, expect

from harness.api import define, trigger, wait_run
from harness.orchestrator import Orchestrator
from legato_protocol.topics import trigger_dlt_topic, trigger_group

pytestmark = pytest.mark.integration

WORKFLOW = "order-digest"
SCHEDULE = "hourly-digest"
TRIGGER = "orders-in"
ORDERS = 3


@pytest.fixture(scope="module")
def admin(secured: Orchestrator, make_key: Callable[[str, str], str]) -> Iterator[httpx.Client]:
    """An admin key defines the schedule and the trigger; the dashboard is used with the operator's."""
    headers = {"Authorization": f"Bearer {make_key('schedules-admin', 'admin')}"}
    with httpx.Client(base_url=secured.url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def orders_topic(secured: Orchestrator) -> Iterator[str]:
    """The topic the trigger reads, made by the test (the local Kafka does not create topics)."""
    topic = f"{secured.tag}-orders"
    kafka = AdminClient(secured.kafka_config())
    for future in kafka.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(30)
    yield topic
    for future in kafka.delete_topics([topic]).values():
        future.result(30)


def schedule_row(page: Page) -> Locator:
    return page.locator(f'[data-testid="schedule-row"][data-schedule-id="{SCHEDULE}"]')


def trigger_row(page: Page) -> Locator:
    return page.locator(f'[data-testid="trigger-row"][data-trigger-id="{TRIGGER}"]')


def test_a_schedule_listed_triggered_now_paused_and_resumed(
    page: Page, api: httpx.Client, admin: httpx.Client, operator_key: str, worker: None
) -> None:
    define(api, {"id": WORKFLOW, "steps": [{"id": "digest", "action": ECHO}]})
    made = admin.post(
        "/schedules", json={"id": SCHEDULE, "workflowId": WORKFLOW, "every": "1h", "input": {"digest": 1}}
    )
    assert made.status_code == 201, made.text
    direct = trigger(api, WORKFLOW, {"digest": 0})  # a run of the workflow no schedule started

    sign_in(page, operator_key, path="/ui/schedules")
    listed = schedule_row(page)
    expect(by_id(listed, "schedule-when")).to_have_text("every 1h (UTC)")
    expect(by_id(listed, "paused-state")).to_have_attribute("data-paused", "false")
    expect(by_id(listed, "schedule-next-fire")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))

    by_id(listed, "schedule-link").click()
    detail = by_id(page, "schedule-detail")
    expect(detail).to_have_attribute("data-schedule-id", SCHEDULE)
    expect(by_id(detail, "next-fire-time")).to_have_count(5)
    expect(by_id(detail, "schedule-overlap")).to_have_text("skip")

    by_id(detail, "schedule-trigger").click()
    confirm_dialog(
        page, dry_run="would fire once now, under its overlap policy (skip)", result="a run started"
    )
    fired = by_id(detail, "schedule-fired")
    expect(fired).to_have_attribute("data-outcome", "started")
    manual = detail.locator('[data-testid="fire-row"][data-source="manual"]')
    expect(manual).to_have_count(1)
    expect(manual).to_have_attribute("data-outcome", "started")
    run_id = manual.get_attribute("data-run-id") or ""
    assert wait_run(api, run_id)["status"] == "COMPLETED"
    expect(by_id(manual, "fire-run-status")).to_have_text("COMPLETED")
    # The list's last fire (the manual one, unless the hour struck meanwhile: then the hourly one).
    expect(by_id(schedule_row(page), "schedule-last-fire")).to_have_attribute("data-outcome", "started")
    expect(by_id(schedule_row(page), "schedule-last-run-link")).to_be_visible()

    by_id(detail, "schedule-pause-note").fill("quarter close")
    by_id(detail, "schedule-pause").click()
    confirm_dialog(page, dry_run='note: "quarter close"', result="Schedule paused (note: quarter close).")
    expect(detail).to_have_attribute("data-paused", "true")
    expect(by_id(detail, "schedule-note")).to_have_text("quarter close")
    expect(by_id(detail, "no-next-fire")).to_be_visible()
    expect(by_id(schedule_row(page), "paused-state")).to_have_attribute("data-paused", "true")
    assert admin.get(f"/schedules/{SCHEDULE}").json()["paused"] is True

    by_id(detail, "schedule-resume").click()
    confirm_dialog(page, dry_run="would fire again", result="Schedule resumed.")
    expect(detail).to_have_attribute("data-paused", "false")
    expect(by_id(detail, "next-fire-time")).to_have_count(5)
    screenshot(page, "schedules.png")

    by_id(manual, "fire-run-link").click()
    expect(by_id(page, "run-detail")).to_have_attribute("data-run-id", run_id)
    expect(by_id(page, "run-schedule-link")).to_have_text(SCHEDULE)
    expect(by_id(page, "run-scheduled-at")).to_contain_text("fire time 20")
    by_id(page, "run-schedule-link").click()
    expect(by_id(page, "schedule-detail")).to_have_attribute("data-schedule-id", SCHEDULE)

    by_id(page, "schedule-runs-link").click()
    expect(by_id(page, "filter-scheduleId")).to_have_value(SCHEDULE)
    expect(row(page, run_id)).to_have_count(1)
    expect(row(page, direct)).to_have_count(0)


def test_a_trigger_listed_with_its_lag_paused_and_resumed(
    page: Page,
    api: httpx.Client,
    admin: httpx.Client,
    operator_key: str,
    secured: Orchestrator,
    orders_topic: str,
    worker: None,
) -> None:
    define(api, {"id": WORKFLOW, "steps": [{"id": "digest", "action": ECHO}]})
    spec = {
        "id": TRIGGER,
        "kafka": {"topic": orders_topic, "fromBeginning": True},
        "workflowId": WORKFLOW,
        "idempotencyKey": "${value.orderId}",
        "paused": True,
    }
    made = admin.post("/triggers", json=spec)
    assert made.status_code == 201, made.text
    producer = Producer(secured.kafka_config())
    for n in range(ORDERS):
        producer.produce(orders_topic, key=f"k{n}", value=json.dumps({"orderId": f"o-{n}"}))
    assert producer.flush(30) == 0

    sign_in(page, operator_key, path="/ui/triggers")
    listed = trigger_row(page)
    expect(by_id(listed, "paused-state")).to_have_attribute("data-paused", "true")
    expect(by_id(listed, "trigger-lag")).to_have_attribute("data-lag", str(ORDERS), timeout=30_000)
    expect(by_id(listed, "trigger-lag")).to_have_text(str(ORDERS))

    by_id(listed, "trigger-link").click()
    detail = by_id(page, "trigger-detail")
    expect(detail).to_have_attribute("data-trigger-id", TRIGGER)
    group = secured.env["LEGATO_ORCHESTRATOR_GROUP"]
    expect(by_id(detail, "trigger-group")).to_have_text(trigger_group(group, TRIGGER))
    expect(by_id(detail, "trigger-dlt")).to_have_text(trigger_dlt_topic(group, TRIGGER))
    expect(by_id(detail, "trigger-key-template")).to_have_text("${value.orderId}")
    expect(by_id(detail, "trigger-input-template")).to_have_text("${value}")
    expect(by_id(detail, "trigger-pause")).to_be_disabled()

    by_id(detail, "trigger-resume").click()
    confirm_dialog(
        page,
        dry_run=f"lag {ORDERS}) would take the records of {orders_topic} again",
        result="Trigger resumed.",
    )
    expect(detail).to_have_attribute("data-paused", "false")
    expect(by_id(listed, "trigger-started")).to_have_attribute("data-count", str(ORDERS), timeout=30_000)
    expect(by_id(listed, "trigger-lag")).to_have_attribute("data-lag", "0")
    screenshot(page, "triggers.png")

    by_id(detail, "trigger-pause").click()
    confirm_dialog(page, dry_run=f"would stop taking records from {orders_topic}", result="Trigger paused.")
    expect(detail).to_have_attribute("data-paused", "true")
    expect(by_id(listed, "paused-state")).to_have_attribute("data-paused", "true")
    assert admin.get(f"/triggers/{TRIGGER}").json()["paused"] is True

    runs = api.get("/workflow/runs", params={"triggerId": TRIGGER}).json()["runs"]
    assert len(runs) == ORDERS
    page.goto(f"/ui/runs/{runs[0]['runId']}")
    expect(by_id(page, "run-trigger-link")).to_have_text(TRIGGER)
    by_id(page, "run-trigger-link").click()
    expect(by_id(page, "trigger-detail")).to_have_attribute("data-trigger-id", TRIGGER)
