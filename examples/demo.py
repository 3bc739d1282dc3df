"""`make demo`: define every example workflow, trigger each of its sample inputs, print how each run ended.

A workflow is `examples/workflows/<id>.json`; its sample triggers are `<id>.trigger.json` and
`<id>.<variant>.trigger.json`. A workflow whose actions have no live worker is skipped with the
make target that starts one (live workers come from GET /workers).
"""

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import resume_demo

WORKFLOWS = Path(__file__).parent / "workflows"
# Workflows whose workers the demo runs itself, to show something happening to them.
SHOWCASES = {"data-import"}
STARTERS = {"node": "make node", "java": "make java"}


def actions_of(definition: dict[str, Any]) -> set[str]:
    return {s["action"] for s in definition["steps"] if "action" in s}


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


def wait(api: httpx.Client, run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = api.get(f"/workflow/run/{run_id}").json()
        if run["status"] in ("COMPLETED", "FAILED", "CANCELLED") or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


def describe(run: dict[str, Any]) -> str:
    if run["status"] == "COMPLETED":
        return f"COMPLETED  output={json.dumps(run['output'])}"
    if run["status"] == "FAILED":
        e = run["error"] or {}
        return f"FAILED     step {e.get('stepId')}: {e.get('type')}: {e.get('message')} ({e.get('reason')})"
    return f"{run['status']} (still going after the demo's wait; see /workflow/run/{run['runId']})"


def showcase(api: httpx.Client, definition: dict[str, Any], batch: str, timeout: float) -> int:
    """data-import: its worker is killed mid-step and the retry resumes from the last progress."""
    wid = definition["id"]
    api.post("/workflow/", json=definition).raise_for_status()
    body = json.loads((WORKFLOWS / f"{wid}.trigger.json").read_text())

    def trigger() -> str:
        r = api.post(
            f"/workflow/{wid}/trigger", json=body, headers={"Idempotency-Key": f"demo-{batch}-{wid}"}
        )
        r.raise_for_status()
        run_id: str = r.json()["runId"]
        return run_id

    run = resume_demo.run(api, trigger, timeout)
    killed = run["killed"]
    print(f"{wid:<32} {describe(run)}")
    print(f"{'':<32} (worker {killed['worker']} was killed -9 after batch {killed['atBatch']};")
    print(f"{'':<32}  attempt {run['steps'][0]['attempts']} resumed from the last heartbeat's progress)")
    return 0 if run["status"] == "COMPLETED" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8080")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for each run")
    parser.add_argument("--worker-wait", type=float, default=20, help="seconds to wait for workers to join")
    args = parser.parse_args()
    api = httpx.Client(base_url=args.api, timeout=30)
    definitions = [
        json.loads(p.read_text())
        for p in sorted(WORKFLOWS.glob("*.json"))
        if not p.name.endswith(".trigger.json")
    ]
    wanted = set().union(*(actions_of(d) for d in definitions if d["id"] not in SHOWCASES))
    try:
        live = live_actions(api, wanted, args.worker_wait)
    except httpx.HTTPError:
        print(f"Legato is not answering at {args.api}: start it with `make all` (or make up/python)")
        return 1
    batch = uuid.uuid4().hex[:8]
    failures = 0
    for definition in definitions:
        wid = definition["id"]
        if wid in SHOWCASES:
            failures += showcase(api, definition, batch, args.timeout)
            continue
        missing = sorted(actions_of(definition) - live)
        if missing:
            hints = {STARTERS.get(a.rsplit("-", 1)[-1], "make python") for a in missing}
            starters = ", ".join(sorted(hints))
            print(f"{wid}: skipped, no live worker for {', '.join(missing)} (start one: {starters})")
            continue
        api.post("/workflow/", json=definition).raise_for_status()
        triggers = [WORKFLOWS / f"{wid}.trigger.json", *sorted(WORKFLOWS.glob(f"{wid}.*.trigger.json"))]
        for trigger in [t for t in triggers if t.exists()]:
            variant = trigger.name.removesuffix(".trigger.json")
            body = json.loads(trigger.read_text())
            r = api.post(
                f"/workflow/{wid}/trigger", json=body, headers={"Idempotency-Key": f"demo-{batch}-{variant}"}
            )
            r.raise_for_status()
            run = wait(api, r.json()["runId"], args.timeout)
            print(f"{variant:<32} {describe(run)}")
            failures += run["status"] not in ("COMPLETED", "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
