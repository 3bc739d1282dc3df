"""The orchestrator's metrics (docs/observability.md, "Orchestrator") after real runs with a real
worker: a run that completes after a retry, a run that fails (a non-retryable error, dead-lettered),
a run whose attempt times out, a keyed trigger answered twice. GET /metrics then holds every series
with its labels and plausible values, and no label value is an id.
"""

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato_worker import NonRetryableError

pytestmark = pytest.mark.integration

Sample = tuple[str, dict[str, str], float]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SAMPLED_S = 20  # the engine samples lag, consumers and the outbox every ~5 s


def scrape(api: httpx.Client) -> list[Sample]:
    response = api.get("/metrics")
    assert response.status_code == 200
    return [
        (s.name, dict(s.labels), float(s.value))
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    ]


def value(samples: list[Sample], name: str, **labels: str) -> float | None:
    found = [v for n, ls, v in samples if n == name and labels.items() <= ls.items()]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def await_value(api: httpx.Client, name: str, expected: float, **labels: str) -> None:
    seen: list[float | None] = [None]

    def reached() -> bool:
        seen[0] = value(scrape(api), name, **labels)
        return seen[0] == expected

    try:
        until(reached, 30, f"{name}{labels} == {expected}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen {seen[0]}") from None


class Scenario:
    def __init__(self) -> None:
        self.ok = unique("m-ok")
        self.flaky = unique("m-flaky")
        self.bad = unique("m-bad")
        self.slow = unique("m-slow")
        self.good_wf = unique("metrics-good")
        self.bad_wf = unique("metrics-bad")
        self.slow_wf = unique("metrics-slow")
        self.key = unique("key")
        self.consumers_seen = 0.0


@pytest.fixture(scope="module")
def scenario(orchestrator: Orchestrator) -> Iterator[Scenario]:
    s = Scenario()
    with httpx.Client(base_url=orchestrator.url, timeout=30) as api:
        fast = {"initialDelayMs": 50}
        define(
            api,
            {
                "id": s.good_wf,
                "steps": [
                    {"action": s.ok, "stepIndex": 0},
                    {"action": s.flaky, "stepIndex": 1, "retry": {**fast, "maxAttempts": 3}},
                ],
            },
        )
        define(api, {"id": s.bad_wf, "steps": [{"action": s.bad, "stepIndex": 0}]})
        define(
            api,
            {
                "id": s.slow_wf,
                "steps": [
                    {
                        "action": s.slow,
                        "stepIndex": 0,
                        "startToCloseSeconds": 1,
                        "retry": {**fast, "maxAttempts": 1},
                    }
                ],
            },
        )
        calls: list[int] = []

        def flaky(payload: object) -> object:
            calls.append(1)
            if len(calls) == 1:
                raise ValueError("not yet")
            return payload

        def bad(payload: object) -> object:
            raise NonRetryableError("declined", type="CardDeclined")

        def slow(payload: object) -> object:
            time.sleep(2.5)
            return payload

        handlers = {s.ok: lambda p: p, s.flaky: flaky, s.bad: bad, s.slow: slow}
        with running_worker(orchestrator, handlers):
            good = trigger(api, s.good_wf, 1, key=s.key)
            failing = trigger(api, s.bad_wf, 2)
            timing_out = trigger(api, s.slow_wf, 3)
            assert wait_run(api, good)["status"] == "COMPLETED"
            assert wait_run(api, failing)["status"] == "FAILED"
            assert wait_run(api, timing_out)["status"] == "FAILED"

            def consumers() -> bool:
                s.consumers_seen = value(scrape(api), "legato_action_consumers", action=s.ok) or 0
                return s.consumers_seen >= 1

            until(consumers, SAMPLED_S, "the engine to sample the worker's consumer group")
        # the same key and body: the earlier run, counted as a replay
        again = api.post(
            f"/workflow/{s.good_wf}/trigger", json={"input": 1}, headers={"Idempotency-Key": s.key}
        )
        assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == {"runId": good}
        yield s


@pytest.fixture
def scenario_api(scenario: Scenario, api: httpx.Client) -> httpx.Client:
    return api


def test_runs_by_workflow_and_status(scenario: Scenario, scenario_api: httpx.Client) -> None:
    api, s = scenario_api, scenario
    await_value(api, "legato_runs_started_total", 1, workflow=s.good_wf)  # replayed, not started again
    await_value(api, "legato_runs_started_total", 1, workflow=s.bad_wf)
    await_value(api, "legato_runs_finished_total", 1, workflow=s.good_wf, status="COMPLETED")
    await_value(api, "legato_runs_finished_total", 1, workflow=s.bad_wf, status="FAILED")
    await_value(api, "legato_runs_finished_total", 1, workflow=s.slow_wf, status="FAILED")
    samples = scrape(api)
    assert not value(samples, "legato_runs_finished_total", workflow=s.good_wf, status="FAILED")
    assert value(samples, "legato_idempotent_replays_total", workflow=s.good_wf) == 1
    assert value(samples, "legato_trigger_duration_seconds_count", workflow=s.good_wf) == 1
    trigger_s = value(samples, "legato_trigger_duration_seconds_sum", workflow=s.good_wf)
    assert trigger_s is not None and 0 < trigger_s < 30


def test_attempts_retries_timeouts_and_dead_letters_by_action(
    scenario: Scenario, scenario_api: httpx.Client
) -> None:
    api, s = scenario_api, scenario
    await_value(api, "legato_attempts_total", 1, action=s.flaky, outcome="failed")
    await_value(api, "legato_attempts_total", 1, action=s.flaky, outcome="completed")
    await_value(api, "legato_attempts_total", 1, action=s.ok, outcome="completed")
    await_value(api, "legato_attempts_total", 1, action=s.bad, outcome="failed")
    await_value(api, "legato_attempts_total", 1, action=s.slow, outcome="timed_out")
    await_value(api, "legato_retries_total", 1, action=s.flaky, error_type="ValueError")
    await_value(api, "legato_dead_letters_total", 1, action=s.bad, error_type="CardDeclined")
    await_value(api, "legato_dead_letters_total", 1, action=s.slow, error_type="StartToCloseTimeout")
    await_value(api, "legato_attempt_timeouts_total", 1, action=s.slow, kind="StartToClose")
    samples = scrape(api)
    assert not value(samples, "legato_retries_total", action=s.bad)
    assert not value(samples, "legato_dead_letters_total", action=s.flaky)


def test_step_queue_and_execution_times_by_action(scenario: Scenario, scenario_api: httpx.Client) -> None:
    api, s = scenario_api, scenario
    await_value(api, "legato_step_execution_seconds_count", 2, action=s.flaky)
    samples = scrape(api)
    assert value(samples, "legato_step_execution_seconds_count", action=s.ok) == 1
    ran = value(samples, "legato_step_execution_seconds_sum", action=s.flaky)
    assert ran is not None and 0 <= ran < 30
    queued = value(samples, "legato_step_queue_seconds_count", action=s.ok)
    assert queued == 1
    waited = value(samples, "legato_step_queue_seconds_sum", action=s.ok)
    assert waited is not None and 0 <= waited < 30
    inf = value(samples, "legato_step_queue_seconds_bucket", action=s.ok, le="+Inf")
    assert inf == 1


def test_engine_gauges_and_histograms(scenario: Scenario, scenario_api: httpx.Client) -> None:
    api = scenario_api
    samples = scrape(api)
    assert value(samples, "legato_engine_paused") == 0
    assert (value(samples, "legato_engine_batch_size_count") or 0) >= 1
    assert (value(samples, "legato_engine_batch_duration_seconds_count") or 0) >= 1
    depth = value(samples, "legato_outbox_depth")
    age = value(samples, "legato_outbox_oldest_age_seconds")
    assert depth is not None and depth >= 0
    assert age is not None and age >= 0
    assert scenario.consumers_seen >= 1


def test_consumer_lag_of_job_topics_and_results(
    scenario: Scenario, scenario_api: httpx.Client, orchestrator: Orchestrator
) -> None:
    api, s, env = scenario_api, scenario, orchestrator.env
    topic = f"{env['LEGATO_JOBS_TOPIC']}.{s.ok}"
    group = f"{env['LEGATO_GROUP_PREFIX']}.{s.ok}"

    def sampled() -> bool:
        samples = scrape(api)
        return (
            value(samples, "legato_consumer_lag_messages", topic=topic, group=group) == 0
            and value(samples, "legato_consumer_lag_messages", topic=env["LEGATO_RESULTS_TOPIC"]) is not None
        )

    until(sampled, SAMPLED_S, f"the lag of {topic} and of the results topic")


def test_labels_are_never_ids(scenario: Scenario, scenario_api: httpx.Client) -> None:
    samples = scrape(scenario_api)
    legato = [(n, ls) for n, ls, _ in samples if n.startswith("legato_")]
    assert legato
    for name, labels in legato:
        for label, text in labels.items():
            assert not UUID.search(text), (name, label, text)
            assert label not in {"run_id", "job_id", "worker_id", "run", "job", "worker"}, (name, label)


def test_a_cancelled_run_is_counted_once(api: httpx.Client) -> None:
    wid = unique("metrics-cancel")
    define(api, {"id": wid, "steps": [{"action": unique("m-nobody"), "stepIndex": 0}]})
    run_id = trigger(api, wid, 1)  # no worker: it stays RUNNING until cancelled
    for _ in range(2):  # the second cancel changes nothing
        assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 200
    await_value(api, "legato_runs_finished_total", 1, workflow=wid, status="CANCELLED")
    assert value(scrape(api), "legato_runs_started_total", workflow=wid) == 1
