"""Signals: a step waits for one, through real services (PostgreSQL keeps them, Kafka runs the rest)."""

import base64
import concurrent.futures
import os
import uuid
from typing import Any

import httpx
import pytest

from harness.api import define, events, step_of, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration


def send(
    api: httpx.Client, run_id: str, name: str, payload: Any, signal_id: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"payload": payload}
    if signal_id is not None:
        body["signalId"] = signal_id
    return api.post(f"/workflow/run/{run_id}/signal/{name}", json=body)


def waiting(api: httpx.Client, run_id: str, step_id: str) -> None:
    until(lambda: step_of(api, run_id, step_id)["status"] == "WAITING", 20, f"{step_id} waiting")


def test_a_signal_sent_to_a_waiting_step_completes_it_with_its_payload(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, record = unique("approval"), unique("record")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "approve", "signal": {"name": "approval"}},
                {"id": "record", "action": record, "dependsOn": ["approve"]},
            ],
        },
    )
    run_id = trigger(api, wid, {"order": 7})
    waiting(api, run_id, "approve")
    assert step_of(api, run_id, "approve")["kind"] == "signal"
    answer = send(api, run_id, "approval", {"approved": True, "by": "ana"}, "mail-1")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "runId": run_id,
        "name": "approval",
        "signalId": "mail-1",
        "duplicate": False,
        "consumedBy": "approve",
    }
    with running_worker(orchestrator, {record: lambda p: p}):
        # the job the signal made ready is published by the relay at once (no engine hand-over
        # grace, 15 s: the API never publishes after its commit)
        run = wait_run(api, run_id, timeout=10)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["output"] == {"approved": True, "by": "ana"}
    resent = send(api, run_id, "approval", {"again": 1}, "mail-1")  # a resend after the run ended
    assert (resent.status_code, resent.json()["duplicate"]) == (200, True)
    kinds = [e["type"] for e in events(api, run_id)]
    assert kinds.index("SIGNAL_WAITING") < kinds.index("SIGNAL_RECEIVED") < kinds.index("SIGNAL_CONSUMED")
    answer = api.get(f"/workflow/run/{run_id}/signals").json()
    assert [(s["signalId"], s["stepId"]) for s in answer["signals"]] == [("mail-1", "approve")]
    assert answer["signals"][0]["consumedAt"] is not None and answer["more"] is False


def test_signals_sent_before_their_waits_are_kept_and_taken_in_arrival_order(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, prepare, report = unique("two-approvals"), unique("prepare"), unique("report")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "prepare", "action": prepare},
                {"id": "first", "signal": {"name": "approval"}, "dependsOn": ["prepare"]},
                {"id": "second", "signal": {"name": "approval"}, "dependsOn": ["first"]},
                {
                    "id": "report",
                    "action": report,
                    "dependsOn": ["second"],
                    "input": {"first": "${steps.first.output}", "second": "${steps.second.output}"},
                },
            ],
        },
    )
    run_id = trigger(api, wid, {})
    # No worker yet: the run is at `prepare`, nobody waits for a signal.
    for n in (1, 2, 3):
        answer = send(api, run_id, "approval", {"n": n})
        assert answer.status_code == 200, answer.text
        assert answer.json()["consumedBy"] is None
    with running_worker(orchestrator, {prepare: lambda p: p, report: lambda p: p}):
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["output"] == {"first": {"n": 1}, "second": {"n": 2}}
    listed = api.get(f"/workflow/run/{run_id}/signals", params={"limit": 2}).json()
    assert [s["stepId"] for s in listed["signals"]] == ["first", "second"] and listed["more"] is True
    third = api.get(f"/workflow/run/{run_id}/signals").json()["signals"][2]
    assert third["stepId"] is None  # the third stays queued


def test_the_same_signal_id_twice_is_delivered_once(api: httpx.Client) -> None:
    wid = unique("dedupe")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "a", "signal": {"name": "go"}},
                {"id": "b", "signal": {"name": "go"}, "dependsOn": ["a"]},
            ],
        },
    )
    run_id = trigger(api, wid, None)
    waiting(api, run_id, "a")
    first = send(api, run_id, "go", 1, "same")
    second = send(api, run_id, "go", 2, "same")
    assert first.status_code == second.status_code == 200
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    waiting(api, run_id, "b")  # a took the first; the duplicate did not reach b
    assert step_of(api, run_id, "a")["output"] == 1
    assert [e["type"] for e in events(api, run_id)].count("SIGNAL_RECEIVED") == 1
    assert send(api, run_id, "go", 3).json()["consumedBy"] == "b"
    assert wait_run(api, run_id)["output"] == 3


def test_bad_signals_get_clear_answers_and_change_nothing(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, done = unique("bad-signals"), unique("done")
    define(api, {"id": wid, "steps": [{"id": "approve", "signal": {"name": "approval"}}]})
    run_id = trigger(api, wid, None)
    waiting(api, run_id, "approve")
    assert send(api, str(uuid.uuid4()), "approval", 1).status_code == 404
    assert send(api, "not-a-uuid", "approval", 1).status_code == 422
    unknown = send(api, run_id, "nope", 1)
    assert unknown.status_code == 422 and "approval" in unknown.json()["detail"]
    assert send(api, run_id, "bad name!", 1).status_code in (404, 422)
    assert api.post(f"/workflow/run/{run_id}/signal/approval", json=[1]).status_code == 422
    assert api.post(f"/workflow/run/{run_id}/signal/approval", json={"payload": 1, "x": 2}).status_code == 422
    assert send(api, run_id, "approval", 1, "").status_code == 422
    assert send(api, run_id, "approval", 1, "x" * 201).status_code == 422
    deep: Any = 1
    for _ in range(200):
        deep = [deep]
    assert send(api, run_id, "approval", deep).status_code == 422
    assert send(api, run_id, "approval", "x" * 2_000_000).status_code == 413
    assert api.get(f"/workflow/run/{run_id}/signals").json()["signals"] == []
    assert step_of(api, run_id, "approve")["status"] == "WAITING"
    assert send(api, run_id, "approval", None).json()["consumedBy"] == "approve"  # null is a payload
    assert wait_run(api, run_id)["status"] == "COMPLETED"
    ended = send(api, run_id, "approval", 1)
    assert ended.status_code == 409, ended.text
    define(api, {"id": done, "steps": [{"id": "x", "signal": {"name": "late"}}]})
    cancelled = trigger(api, done, None)
    assert api.post(f"/workflow/run/{cancelled}/cancel").status_code == 200
    assert send(api, cancelled, "late", 1).status_code == 409


def test_a_wait_that_times_out_fails_takes_its_default_or_waits_again(api: httpx.Client) -> None:
    fails, defaults, again = unique("timeout"), unique("default"), unique("again")
    define(api, {"id": fails, "steps": [{"id": "w", "signal": {"name": "s", "timeoutSeconds": 0.3}}]})
    define(
        api,
        {
            "id": defaults,
            "steps": [{"id": "w", "signal": {"name": "s", "timeoutSeconds": 0.3, "default": {"ok": 0}}}],
        },
    )
    define(
        api,
        {
            "id": again,
            "steps": [
                {
                    "id": "w",
                    "signal": {"name": "s", "timeoutSeconds": 0.3},
                    "retry": {"maxAttempts": 3, "initialDelayMs": 0},
                }
            ],
        },
    )
    failed = wait_run(api, trigger(api, fails, None))
    assert failed["status"] == "FAILED"
    assert failed["error"]["type"] == "SignalTimeout" and failed["error"]["stepId"] == "w"
    defaulted = wait_run(api, trigger(api, defaults, None))
    assert (defaulted["status"], defaulted["output"]) == ("COMPLETED", {"ok": 0})
    retried = trigger(api, again, None)
    until(lambda: step_of(api, retried, "w")["attempts"] == 3, 20, "the third wait")
    assert send(api, retried, "s", "late but in time").status_code == 200
    run = wait_run(api, retried)
    assert (run["status"], run["output"]) == ("COMPLETED", "late but in time")
    assert [e["type"] for e in events(api, retried)].count("SIGNAL_TIMED_OUT") == 2


def race(senders: list[tuple[httpx.Client, str, str, Any, str]]) -> list[httpx.Response]:
    with concurrent.futures.ThreadPoolExecutor(len(senders)) as pool:
        return list(pool.map(lambda s: send(*s[:4], signal_id=s[4]), senders))


def test_concurrent_senders_through_two_orchestrators(api: httpx.Client, orchestrator: Orchestrator) -> None:
    """20 signals (5 of them sent twice) race from two orchestrators at two steps that wait side by side:
    each step takes exactly one, every other one is kept once, in order."""
    twin = orchestrator.twin()
    twin.start()
    try:
        with httpx.Client(base_url=twin.url, timeout=30) as other:
            wid = unique("votes")
            define(
                api,
                {
                    "id": wid,
                    "steps": [
                        {"id": "left", "signal": {"name": "vote"}},
                        {"id": "right", "signal": {"name": "vote"}},
                        {
                            "id": "close",  # keeps the run open for the late senders
                            "signal": {"name": "close"},
                            "dependsOn": ["left", "right"],
                        },
                        {"id": "tally", "wait": {"seconds": 0}, "dependsOn": ["left", "right"]},
                    ],
                },
            )
            run_id = trigger(api, wid, None)
            waiting(api, run_id, "left")
            waiting(api, run_id, "right")
            senders = [(api if n % 2 else other, run_id, "vote", n, f"v{n}") for n in range(20)]
            senders += [(other if n % 2 else api, run_id, "vote", n, f"v{n}") for n in range(5)]
            answers = race(senders)
            assert all(a.status_code == 200 for a in answers), [
                a.text for a in answers if a.status_code != 200
            ]
            assert sum(not a.json()["duplicate"] for a in answers) == 20
            waiting(api, run_id, "close")
            assert send(other, run_id, "close", None).json()["consumedBy"] == "close"
            run = wait_run(api, run_id)
            assert run["status"] == "COMPLETED"
            listed = other.get(f"/workflow/run/{run_id}/signals").json()["signals"]
            votes = [s for s in listed if s["name"] == "vote"]
            assert len(votes) == 20 and len({s["signalId"] for s in votes}) == 20
            taken = [s for s in votes if s["stepId"]]
            assert sorted(s["stepId"] for s in taken) == ["left", "right"]
            assert votes[:2] == taken  # the two oldest were taken
            assert sorted(run["output"]["tally"].values()) == sorted(s["payload"] for s in taken)
    finally:
        twin.stop()


def test_the_signals_list_stops_at_its_byte_budget(api: httpx.Client) -> None:
    """Ten kept signals of ~0.93 MB each (random, so PostgreSQL cannot compress them) are more than
    one answer reads (8 MiB of payloads): the list stops early, oldest first, and says there is more."""
    wid = unique("big-signals")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "gate", "signal": {"name": "gate"}},
                {"id": "data", "signal": {"name": "data"}, "dependsOn": ["gate"]},
            ],
        },
    )
    run_id = trigger(api, wid, None)
    sent = [f"big-{n}" for n in range(10)]
    for signal_id in sent:
        payload = base64.b64encode(os.urandom(700_000)).decode()
        assert send(api, run_id, "data", payload, signal_id).status_code == 200
    answer = api.get(f"/workflow/run/{run_id}/signals").json()
    listed = [s["signalId"] for s in answer["signals"]]
    assert 1 <= len(listed) < len(sent) and answer["more"] is True
    assert listed == sent[: len(listed)]
    assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 200
