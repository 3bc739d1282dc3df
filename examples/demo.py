"""`make demo`: define every example workflow, trigger each of its sample inputs, print how each run ended.

It is written with the Python SDK's API client (`legato_worker.Client`, docs/clients.md): define,
trigger with an idempotency key, await a run through its event stream, signal. Schedules and
Kafka-topic triggers, which the client does not cover, go through the REST API (httpx).

A workflow is `examples/workflows/<id>.json`; its sample triggers are `<id>.trigger.json` and
`<id>.<variant>.trigger.json`. A workflow whose actions have no live worker is skipped with the
make target that starts one (live workers come from GET /workers). A workflow with no sample trigger
(`shipping`, which `order-approval` runs as a child) is only defined.

Two workflows have a showcase of their own: `data-import` (its worker is killed mid-step) and
`order-approval` (the run waits for a signal, which the demo sends, then runs a child workflow).
Then `my-first-workflow` is started by a schedule that fires every 2 s (schedule_demo.py) and by
the records of a Kafka topic the demo creates and feeds (kafka_trigger_demo.py); both are deleted
at the end. Their names carry the demo's batch id, so the demo can run again.
"""

import argparse
import contextlib
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import kafka_trigger_demo
import resume_demo
import schedule_demo

from legato_worker import AwaitTimeout, Client, RunCancelled, RunFailed

WORKFLOWS = Path(__file__).parent / "workflows"
# The data-import showcase runs its own workers: its actions need no live worker beforehand.
OWN_WORKERS = {"data-import"}
APPROVAL = {"approved": True, "by": "demo"}  # the signal the demo sends to order-approval
STARTERS = {"node": "make node", "java": "make java"}
INTAKE_WORKFLOW = "my-first-workflow"  # the workflow the schedule and the Kafka-topic trigger start
ENDED = ("COMPLETED", "FAILED", "CANCELLED")


def actions_of(definition: dict[str, Any]) -> set[str]:
    return {s["action"] for s in definition["steps"] if "action" in s}


def children_of(definition: dict[str, Any]) -> list[str]:
    """The workflows a definition's `workflow` steps run as child runs."""
    return [s["workflow"]["id"] for s in definition["steps"] if "workflow" in s]


def live_actions(api: httpx.Client, wanted: set[str], timeout: float) -> set[str]:
    """Actions with a live worker; waits (bounded) for workers that are still joining their groups."""
    deadline = time.monotonic() + timeout
    while True:
        answer = api.get("/workers")  # 503 while Kafka is still electing the group coordinator
        live = (
            {a for a, g in answer.json()["actions"].items() if g["workers"]}
            if answer.status_code == 200
            else set()
        )
        if wanted <= live or time.monotonic() > deadline:
            return live
        time.sleep(0.5)


def wait(client: Client, run_id: str, timeout: float) -> dict[str, Any]:
    """The run once it has ended (awaited through its event stream), or as it is after `timeout`."""
    with contextlib.suppress(RunFailed, RunCancelled, AwaitTimeout):  # described from the run below
        client.result(run_id, timeout=timeout)
    return client.get(run_id).raw


def wait_for_signal_step(client: Client, run_id: str, step_id: str, timeout: float) -> dict[str, Any]:
    """The run once `step_id` waits for its signal (SIGNAL_WAITING in its event stream), or has ended."""
    with contextlib.closing(client.events(run_id)) as events:  # it ends by itself if the run ends
        for event in events:
            if event["type"] == "SIGNAL_WAITING" and event["stepId"] == step_id:
                break
    return client.get(run_id).raw


def step_of(run: dict[str, Any], step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in run["steps"] if s["id"] == step_id)
    return found


def describe(run: dict[str, Any]) -> str:
    if run["status"] == "COMPLETED":
        return f"COMPLETED  output={json.dumps(run['output'])}"
    if run["status"] == "FAILED":
        e = run["error"] or {}
        return f"FAILED     step {e.get('stepId')}: {e.get('type')}: {e.get('message')} ({e.get('reason')})"
    return f"{run['status']} (still going after the demo's wait; see /workflow/run/{run['runId']})"


def import_showcase(
    api: httpx.Client, client: Client, definition: dict[str, Any], batch: str, timeout: float
) -> int:
    """data-import: its worker is killed mid-step and the retry resumes from the last progress."""
    wid = definition["id"]
    client.define(definition)
    body = json.loads((WORKFLOWS / f"{wid}.trigger.json").read_text())

    def trigger() -> str:
        return client.trigger(wid, body["input"], idempotency_key=f"demo-{batch}-{wid}").run_id

    run = resume_demo.run(api, trigger, timeout)
    killed = run["killed"]
    print(f"{wid:<32} {describe(run)}")
    print(f"{'':<32} (worker {killed['worker']} was killed -9 after batch {killed['atBatch']};")
    print(f"{'':<32}  attempt {run['steps'][0]['attempts']} resumed from the last heartbeat's progress)")
    return 0 if run["status"] == "COMPLETED" else 1


def skipped(wid: str, missing: list[str]) -> None:
    starters = ", ".join(sorted({STARTERS.get(a.rsplit("-", 1)[-1], "make python") for a in missing}))
    print(f"{wid}: skipped, no live worker for {', '.join(missing)} (start one: {starters})")


def approval_showcase(
    client: Client,
    definition: dict[str, Any],
    definitions: dict[str, dict[str, Any]],
    live: set[str],
    batch: str,
    timeout: float,
) -> int:
    """order-approval: the run waits at its signal step for a person's approval; the demo sends the
    signal, and the run goes on to its workflow step, whose child run's output is the run's output."""
    wid = definition["id"]
    children = [definitions[c] for c in children_of(definition)]
    missing = sorted(actions_of(definition).union(*(actions_of(c) for c in children)) - live)
    if missing:
        skipped(wid, missing)
        return 0
    for child in children:  # a workflow step fails with UnknownWorkflow if its child is not defined
        client.define(child)
    client.define(definition)
    waiter = next(s for s in definition["steps"] if "signal" in s)
    parent = next(s for s in definition["steps"] if "workflow" in s)
    name = waiter["signal"]["name"]
    body = json.loads((WORKFLOWS / f"{wid}.trigger.json").read_text())
    run_id = client.trigger(wid, body["input"], idempotency_key=f"demo-{batch}-{wid}").run_id

    run = wait_for_signal_step(client, run_id, waiter["id"], timeout)
    if step_of(run, waiter["id"])["status"] != "WAITING":
        print(f"{wid:<32} {describe(run)}")
        return 1
    print(f"{wid:<32} RUNNING    step {waiter['id']} is WAITING for the signal {name!r}")

    signal_id = f"demo-{batch}-{name}"
    sent = client.signal(run_id, name, APPROVAL, signal_id=signal_id)
    print(f"{'':<32} signal {name!r} sent: {json.dumps(APPROVAL)}")
    print(f"{'':<32} (signalId {signal_id}; taken by step {sent['consumedBy']})")

    run = wait(client, run_id, timeout)
    print(f"{wid:<32} {describe(run)}")
    if run["status"] != "COMPLETED":
        return 1
    child_id = step_of(run, parent["id"])["childRunId"]
    if child_id is None:
        print(f"{'':<32} (step {parent['id']} started no child run)")
        return 1
    child = client.get(child_id).raw
    same = child["output"] == run["output"]
    whose = "the output of" if same else "NOT the output of"
    print(f"{'':<32} ({whose} child run {child_id},")
    print(f"{'':<32}  {child['workflowId']} version {child['version']}, started by step {parent['id']})")
    return 0 if same else 1


def intake_showcases(
    api: httpx.Client, client: Client, definition: dict[str, Any], live: set[str], batch: str, timeout: float
) -> int:
    """Runs that start on their own: a schedule, then a Kafka-topic trigger, on one workflow."""
    wid = definition["id"]
    missing = sorted(actions_of(definition) - live)
    if missing:
        skipped(f"schedule and Kafka-topic trigger of {wid}", missing)
        return 0
    client.define(definition)

    def ended(run_id: str) -> dict[str, Any]:
        return wait(client, run_id, timeout)

    failures = schedule_demo.run(api, wid, f"demo-{batch}-every-2s", ended, describe, timeout)
    failures += kafka_trigger_demo.run(api, wid, batch, ended, describe, timeout)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8080")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for each run")
    parser.add_argument("--worker-wait", type=float, default=20, help="seconds to wait for workers to join")
    args = parser.parse_args()
    api = httpx.Client(base_url=args.api, timeout=30)
    client = Client(api_url=args.api)
    definitions = [
        json.loads(p.read_text())
        for p in sorted(WORKFLOWS.glob("*.json"))
        if not p.name.endswith(".trigger.json")
    ]
    by_id = {d["id"]: d for d in definitions}
    wanted = set().union(*(actions_of(d) for d in definitions if d["id"] not in OWN_WORKERS))
    try:
        live = live_actions(api, wanted, args.worker_wait)
    except httpx.HTTPError:
        print(f"Legato is not answering at {args.api}: start it with `make all` (or make up/python)")
        return 1
    batch = uuid.uuid4().hex[:8]
    failures = 0
    for definition in definitions:
        wid = definition["id"]
        if wid == "data-import":
            failures += import_showcase(api, client, definition, batch, args.timeout)
            continue
        if wid == "order-approval":
            failures += approval_showcase(client, definition, by_id, live, batch, args.timeout)
            continue
        missing = sorted(actions_of(definition) - live)
        if missing:
            skipped(wid, missing)
            continue
        client.define(definition)
        triggers = [WORKFLOWS / f"{wid}.trigger.json", *sorted(WORKFLOWS.glob(f"{wid}.*.trigger.json"))]
        triggers = [t for t in triggers if t.exists()]
        if not triggers:
            parents = sorted(d["id"] for d in definitions if wid in children_of(d))
            runs_it = f"{', '.join(parents)} runs it as a child" if parents else "no sample trigger"
            print(f"{wid:<32} defined ({runs_it})")
        for trigger in triggers:
            variant = trigger.name.removesuffix(".trigger.json")
            body = json.loads(trigger.read_text())
            run_id = client.trigger(wid, body["input"], idempotency_key=f"demo-{batch}-{variant}").run_id
            run = wait(client, run_id, args.timeout)
            print(f"{variant:<32} {describe(run)}")
            failures += run["status"] not in ("COMPLETED", "FAILED")
    failures += intake_showcases(api, client, by_id[INTAKE_WORKFLOW], live, batch, args.timeout)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
