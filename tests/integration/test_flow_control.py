"""Flow control through real services: per-action limits hold across workers and orchestrators,
a rate holds, throttled work goes by priority and shows why it waits, concurrency keys queue or
cancel and one busy key starves no other, and a flood gets 429s (never a 5xx) while every run it
accepted completes."""

import statistics
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import pytest

from harness.api import define, get_run, step_of, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import await_members, running_worker

pytestmark = pytest.mark.integration

TOGETHER_S = 20  # how long the first jobs wait for one another (Tally.handler)


class Tally:
    """What a handler saw: how many ran at once (overall and per key), and when each started."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.per_key: dict[str, int] = defaultdict(int)
        self.most_per_key: dict[str, int] = defaultdict(int)
        self.starts: list[float] = []
        self.order: list[Any] = []

    def handler(self, hold_s: float, together: int = 1) -> Any:
        """Each job holds `hold_s`; the first ones wait (at most TOGETHER_S) until `together` of them
        run at once, so that reaching a limit does not depend on how jobs happen to overlap on a
        slow machine (more than the limit still shows in `most`)."""
        full = threading.Event()

        def run(payload: Any) -> Any:
            key = str(payload.get("k")) if isinstance(payload, dict) else ""
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
                self.per_key[key] += 1
                self.most_per_key[key] = max(self.most_per_key[key], self.per_key[key])
                self.starts.append(time.monotonic())
                self.order.append(payload)
                if self.now >= together:
                    full.set()
            if not full.wait(TOGETHER_S):
                full.set()  # never that many at once: `most` says so, and no other job waits
            time.sleep(hold_s)  # the work itself
            with self.lock:
                self.now -= 1
                self.per_key[key] -= 1
            return payload

        return run


def set_limits(api: httpx.Client, action: str, body: dict[str, Any]) -> dict[str, Any]:
    r = api.put(f"/actions/{action}/limits", json=body)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def limits_of(api: httpx.Client, action: str) -> dict[str, Any]:
    r = api.get(f"/actions/{action}/limits")
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def one_step(api: httpx.Client, action: str, **top: Any) -> str:
    wid = unique("flow")
    define(api, {"id": wid, "steps": [{"id": "work", "action": action}], **top})
    return wid


@pytest.fixture
def twin(orchestrator: Orchestrator) -> Iterator[Orchestrator]:
    other = orchestrator.twin()
    other.start()
    yield other
    other.stop()


def test_a_limit_holds_across_three_workers_and_two_orchestrators(
    api: httpx.Client, orchestrator: Orchestrator, twin: Orchestrator
) -> None:
    action = unique("limited")
    set_limits(api, action, {"maxConcurrent": 4})
    wid = one_step(api, action)
    tally = Tally()
    handlers = {action: tally.handler(0.15, together=4)}
    with (
        httpx.Client(base_url=twin.url, timeout=30) as other,
        running_worker(orchestrator, handlers, concurrency=20),
        running_worker(orchestrator, handlers, concurrency=20),
        running_worker(orchestrator, handlers, concurrency=20),
    ):
        await_members(orchestrator, action, 3)  # a job of a partition moved later may run twice
        runs = [trigger(api if n % 2 else other, wid, {"n": n}) for n in range(48)]
        for run_id in runs:
            assert wait_run(api, run_id)["status"] == "COMPLETED"
    assert tally.most == 4, f"at most 4 in flight, {tally.most} ran at once"
    after = limits_of(api, action)
    assert (after["inFlight"], after["throttled"]) == (0, 0)


def test_a_rate_holds(api: httpx.Client, orchestrator: Orchestrator) -> None:
    action = unique("rated")
    # one token, then one a day: the runs wait throttled however fast (or slowly) they are triggered
    set_limits(api, action, {"rate": {"limit": 1, "periodSeconds": 86_400}})
    wid = one_step(api, action)
    tally = Tally()
    with running_worker(orchestrator, {action: tally.handler(0)}, concurrency=20):
        first = trigger(api, wid, {"n": -1})  # the oldest: it takes the token
        with ThreadPoolExecutor(8) as pool:
            runs = list(pool.map(lambda n: trigger(api, wid, {"n": n}), range(160)))
        # the worker consumes before the measure (jobs queued while it joins would start in a burst)
        assert wait_run(api, first)["status"] == "COMPLETED"
        assert limits_of(api, action)["throttled"] == 160
        set_limits(api, action, {"rate": {"limit": 40, "periodSeconds": 1}})
        for run_id in runs:
            assert wait_run(api, run_id)["status"] == "COMPLETED"
    starts = sorted(t for t, p in zip(tally.starts, tally.order, strict=True) if p["n"] >= 0)
    # Raised, the rate's bucket holds at most 40 tokens (what it refilled since the last admission),
    # so at most 40 jobs start at once; the others wait for tokens, which come at 40 a second.
    steady = starts[40:]
    # the slope of start times over the jobs: one late start at either end (a stall of a loaded
    # machine, made up by the bucket's burst after it) moves it little, unlike first-to-last
    rate = 1 / statistics.linear_regression(range(len(steady)), steady).slope
    assert 34 <= rate <= 44, f"{rate:.1f} jobs/s against a rate of 40/s"


def test_throttled_work_says_why_goes_by_priority_and_slots_free_on_cancel(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    action = unique("slot")
    set_limits(api, action, {"maxConcurrent": 1})
    wid = one_step(api, action)
    wid_timed = unique("flow-sts")
    define(api, {"id": wid_timed, "steps": [{"id": "work", "action": action, "scheduleToStartSeconds": 2}]})
    first = trigger(api, wid, {"n": "first"})  # in flight: no worker takes it yet
    until(lambda: limits_of(api, action)["inFlight"] == 1, 10, "the first job in flight")
    low = api.post(f"/workflow/{wid_timed}/trigger", json={"input": {"n": "low"}, "priority": 5}).json()[
        "runId"
    ]
    high = api.post(f"/workflow/{wid}/trigger", json={"input": {"n": "high"}, "priority": 1}).json()["runId"]
    until(lambda: limits_of(api, action)["throttled"] == 2, 10, "two jobs throttled")
    waiting = step_of(api, low, "work")
    assert waiting["waitingFor"] == f"a slot of action {action}"
    assert waiting["liveAttempt"]["state"] == "throttled"
    assert get_run(api, high)["priority"] == 1
    until(lambda: _older_than(api, low, 2.5), 10, "the throttled job is older than its scheduleToStart")
    assert api.post(f"/workflow/run/{first}/cancel").status_code == 200  # a cancel frees the slot
    until(lambda: limits_of(api, action)["throttled"] == 1, 10, "the high-priority job admitted")
    assert step_of(api, high, "work")["waitingFor"] is None
    # The first job was published before its cancel: a worker that starts before the Cancel record
    # is out would run it (it reads the control topic to its end first, then takes jobs).
    until(lambda: not _withdrawing(orchestrator, first), 10, "the Cancel of the first job published")
    tally = Tally()
    with running_worker(orchestrator, {action: tally.handler(0)}, concurrency=4):
        assert wait_run(api, high)["status"] == "COMPLETED"
        low_run = wait_run(api, low)
    # scheduleToStartSeconds counts from admission, not from while it was throttled
    assert low_run["status"] == "COMPLETED", low_run["error"]
    assert [p["n"] for p in tally.order] == ["high", "low"]


def _withdrawing(orchestrator: Orchestrator, run_id: str) -> bool:
    """Whether a Cancel record of the run's jobs is still in the outbox (deleted once Kafka has it)."""
    found = orchestrator.sql("SELECT 1 FROM job_withdrawals WHERE run_id = %s", uuid.UUID(run_id))
    return bool(found)


def _older_than(api: httpx.Client, run_id: str, seconds: float) -> bool:
    created = datetime.fromisoformat(get_run(api, run_id)["createdAt"])
    return (datetime.now(created.tzinfo) - created).total_seconds() > seconds


def test_clearing_a_limit_publishes_what_it_held(api: httpx.Client, orchestrator: Orchestrator) -> None:
    action = unique("cleared")
    set_limits(api, action, {"maxConcurrent": 1})
    wid = one_step(api, action)
    runs = [trigger(api, wid, {"n": n}) for n in range(3)]
    until(lambda: limits_of(api, action)["throttled"] == 2, 10, "two jobs throttled")
    assert api.delete(f"/actions/{action}/limits").status_code == 204
    assert api.get(f"/actions/{action}/limits").status_code == 404
    assert api.delete(f"/actions/{action}/limits").status_code == 404
    tally = Tally()
    with running_worker(orchestrator, {action: tally.handler(0.3, together=3)}, concurrency=4):
        for run_id in runs:
            assert wait_run(api, run_id)["status"] == "COMPLETED"
    assert tally.most == 3  # no limit any more


def test_a_busy_key_starves_no_quiet_key(api: httpx.Client, orchestrator: Orchestrator) -> None:
    action = unique("keyed")
    wid = one_step(api, action, concurrency={"key": "${input.k}", "limit": 2})
    tally = Tally()
    busy = [trigger(api, wid, {"k": "busy", "n": n}) for n in range(30)]
    quiet = [trigger(api, wid, {"k": f"quiet-{q}", "n": n}) for q in range(10) for n in range(2)]
    pending = get_run(api, busy[-1])
    assert pending["status"] == "PENDING"
    assert pending["waitingFor"] == "a free slot of concurrency key 'busy' (limit 2)"
    assert pending["concurrencyKey"] == "busy"
    with running_worker(orchestrator, {action: tally.handler(0.2)}, concurrency=40):
        for run_id in quiet:
            assert wait_run(api, run_id)["status"] == "COMPLETED"
        busy_left = sum(get_run(api, r)["status"] != "COMPLETED" for r in busy)
        for run_id in busy:
            assert wait_run(api, run_id)["status"] == "COMPLETED"
    assert busy_left >= 10, f"the quiet keys waited for the busy key ({busy_left} busy runs were left)"
    assert max(tally.most_per_key.values()) == 2


def test_cancel_newest_and_cancel_oldest(api: httpx.Client) -> None:
    gate = [{"id": "gate", "signal": {"name": "go"}}]
    newest, oldest = unique("newest"), unique("oldest")
    define(
        api,
        {
            "id": newest,
            "steps": gate,
            "concurrency": {"key": "${input}", "limit": 1, "onLimit": "cancelNewest"},
        },
    )
    define(
        api,
        {
            "id": oldest,
            "steps": gate,
            "concurrency": {"key": "${input}", "limit": 1, "onLimit": "cancelOldest"},
        },
    )
    kept, refused = trigger(api, newest, "a"), trigger(api, newest, "a")
    assert get_run(api, kept)["status"] == "RUNNING"
    run = get_run(api, refused)
    assert (run["status"], run["error"]["type"]) == ("CANCELLED", "ConcurrencyLimit")
    old, new = trigger(api, oldest, "a"), trigger(api, oldest, "a")
    assert get_run(api, old)["status"] == "CANCELLED"
    assert get_run(api, new)["status"] == "RUNNING"
    other_key = trigger(api, oldest, "b")
    assert get_run(api, other_key)["status"] == "RUNNING"


def test_a_flood_gets_429s_and_every_accepted_run_completes(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    action = unique("flooded")
    wid = one_step(api, action, maxBacklog=40)
    tally = Tally()
    answers: dict[int, httpx.Response] = {}

    def send(n: int) -> None:
        answers[n] = api.post(
            f"/workflow/{wid}/trigger", json={"input": {"n": n}}, headers={"Idempotency-Key": f"flood-{n}"}
        )

    with running_worker(orchestrator, {action: tally.handler(0.05)}, concurrency=4):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(send, range(800)))
        statuses = {a.status_code for a in answers.values()}
        accepted = [a.json()["runId"] for a in answers.values() if a.status_code == 200]
        refused = [n for n, a in answers.items() if a.status_code == 429]
        assert statuses == {200, 429}, sorted(statuses)
        assert all(int(answers[n].headers["Retry-After"]) >= 1 for n in refused)
        assert answers[refused[0]].json()["scope"] == "workflow"
        for run_id in accepted:
            assert wait_run(api, run_id)["status"] == "COMPLETED"
        # a refused request stored nothing: sent again with its key, it starts its run once
        retried = refused[:3]
        for n in retried:
            until(lambda n=n: _sent_again(api, wid, n, answers), 20, "a refused trigger accepted later")
            again = api.post(
                f"/workflow/{wid}/trigger",
                json={"input": {"n": n}},
                headers={"Idempotency-Key": f"flood-{n}"},
            )
            assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (200, "true")
            assert again.json() == answers[n].json()
    stored = orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid)[0][0]
    assert stored == len(accepted) + len(retried)


def _sent_again(api: httpx.Client, wid: str, n: int, answers: dict[int, httpx.Response]) -> bool:
    r = api.post(
        f"/workflow/{wid}/trigger", json={"input": {"n": n}}, headers={"Idempotency-Key": f"flood-{n}"}
    )
    assert r.status_code in (200, 429), r.text
    answers[n] = r
    return r.status_code == 200
