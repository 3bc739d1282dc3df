"""`make chaos-ha`: a bounded soak on a 3-broker Kafka cluster (replication 3, min.insync.replicas
2) with two orchestrators on one PostgreSQL, while keyed runs flow through both.

In turn it kill -9s each broker (restarting it), the orchestrators (the other one carries on),
workers, and restarts PostgreSQL once. After each broker kill, orchestrator kill and the PostgreSQL
restart it triggers a few probe runs through a live orchestrator and times how long until they all
complete: the failover time (docs/operations.md). Then it waits for every run to end and reports
lost, duplicated, wrong and twice-applied runs, 5xx answers, and processes that died of a signal
they were not sent. Exit status 1 on any of those, or on a probe that never completed.

Everything runs on a private stack (ports of its own, deleted at the end): `make chaos-ha` leaves
the dev stack alone.
"""

import argparse
import contextlib
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from chaos import LOGS, Tally, Workers, measure, trigger_keyed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack

PROBE_BASE = 5_000_000  # the `run` numbers of the probe runs
# legato.supervision's line when a child process (engine, intake) of `legato serve` exits
CHILD_EXIT = re.compile(r"the (\S+) process exited \(code (-?\d+)\)")


class Probe:
    """Runs of a one-step workflow triggered at a moment, timed until they all complete."""

    def __init__(self, wid: str, count: int, timeout: float) -> None:
        self.wid, self.count, self.timeout = wid, count, timeout
        self.next = 0
        self.slowest: list[float | None] = []

    def __call__(self, url: str, since: float) -> float | None:
        """Seconds from `since` until `count` runs triggered now through `url` completed (None: not
        within the timeout). Triggers are retried (same key) while the orchestrator is unavailable."""
        deadline = time.monotonic() + self.timeout
        pending: list[str] = []
        triggered = 0
        with httpx.Client(base_url=url, timeout=5) as api:
            for _ in range(self.count):
                n, self.next = PROBE_BASE + self.next, self.next + 1
                while time.monotonic() < deadline:
                    try:
                        r = api.post(
                            f"/workflow/{self.wid}/trigger",
                            json={"input": {"run": n, "value": n}},
                            headers={"Idempotency-Key": f"probe-{n}"},
                        )
                        if r.status_code == 200:
                            pending.append(r.json()["runId"])
                            triggered += 1
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.05)
            while pending and time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                    pending = [r for r in pending if not completed(api, r)]
                if pending:
                    time.sleep(0.1)
        took = None if pending or triggered < self.count else time.monotonic() - since
        self.slowest.append(took)
        return took


def completed(api: httpx.Client, run_id: str) -> bool:
    return bool(api.get(f"/workflow/run/{run_id}").json()["status"] == "COMPLETED")


def died_of_signals(orchestrators: list[Orchestrator], workers: Workers) -> list[str]:
    """Processes that exited by themselves, or whose engine did, on a signal (a coordinator or a
    leader that moved must kill nothing)."""
    dead = [
        f"orchestrator {o.port} exited {o.process.poll()}"
        for o in orchestrators
        if o.process and o.process.poll() is not None
    ]
    dead += [f"worker {n} exited {p.poll()}" for n, p in enumerate(workers.procs) if p.poll() is not None]
    if workers.steady.poll() is not None:
        dead.append(f"steady worker exited {workers.steady.poll()}")
    for orch in orchestrators:
        log = orch.log_path.read_text(errors="replace") if orch.log_path.exists() else ""
        dead += [
            f"{name} of {orch.port} exited {code}" for name, code in CHILD_EXIT.findall(log) if int(code) < 0
        ]
    return sorted(set(dead))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--broker-kills", type=int, default=3, help="one broker at a time, each in turn")
    ap.add_argument("--orchestrator-kills", type=int, default=5)
    ap.add_argument("--worker-kills", type=int, default=3)
    ap.add_argument("--postgres-restarts", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--probes", type=int, default=6, help="probe runs timed after each fault")
    ap.add_argument("--pace", type=float, default=0.4, help="seconds between triggers, per client")
    ap.add_argument(
        "--down-seconds", type=float, default=5, help="how long a killed broker stays down at least"
    )
    ap.add_argument("--timeout", type=float, default=600, help="give up waiting for runs after this long")
    args = ap.parse_args()

    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print("starting a private stack: 3 Kafka brokers, PostgreSQL, Redis", flush=True)
    stack = PrivateStack(brokers=3)
    report: dict[str, Any] = {}
    failover: dict[str, list[float | None]] = {
        "broker kill": [],
        "orchestrator kill": [],
        "postgres restart": [],
    }
    dead: list[str] = []
    try:
        stack.start()
        print(f"  cluster up in {time.monotonic() - started:.0f}s: {stack.kafka}", flush=True)
        orch = Orchestrator(
            LOGS, redis_url=stack.redis_url, pg_url=stack.pg_url, kafka=stack.kafka, **stack.client_env()
        )
        twin = orch.twin()
        orchestrators = [orch, twin]
        executions = LOGS / f"executions-ha-{os.getpid()}.log"
        try:
            orch.start()
            twin.start()
            report, dead = soak(args, stack, orchestrators, executions, failover)
        except BaseException:
            stack.keep_logs(LOGS / f"private-stack-{os.getpid()}")
            print(f"the private stack's logs: {LOGS / f'private-stack-{os.getpid()}'}", flush=True)
            raise
        finally:
            twin.stop()
            orch.drop()
    finally:
        stack.destroy()

    for kind, times in failover.items():
        shown = ", ".join("never" if t is None else f"{t:.1f}s" for t in times)
        report[f"until runs complete after a {kind}"] = shown or "-"
    report["processes dead of a signal"] = len(dead)
    report["seconds"] = round(time.monotonic() - started)
    for key, value in report.items():
        print(f"{key:>44}  {value}")
    for line in dead:
        print(f"  died: {line}")
    never = sum(1 for times in failover.values() for t in times if t is None)
    failed = (
        never
        or dead
        or any(
            report[k]
            for k in ("runs lost", "duplicate runs", "wrong outputs", "steps applied twice", "5xx answers")
        )
    )
    print(
        "CHAOS-HA FAILED" if failed else "chaos-ha passed: nothing lost, duplicated, wrong or applied twice"
    )
    return 1 if failed else 0


def soak(
    args: argparse.Namespace,
    stack: PrivateStack,
    orchestrators: list[Orchestrator],
    executions: Path,
    failover: dict[str, list[float | None]],
) -> tuple[dict[str, Any], list[str]]:
    orch = orchestrators[0]
    tag = orch.tag
    wid, poison_wid, probe_wid = f"ha-{tag}", f"ha-poison-{tag}", f"ha-probe-{tag}"
    plus, times, minus, poison, long = (f"{tag}-{a}" for a in ("plus1", "times2", "minus3", "poison", "long"))
    with httpx.Client(base_url=orch.url, timeout=10) as api:
        steps = [
            {"action": a, "stepIndex": n, "retry": {"initialDelayMs": 200}}
            for n, a in enumerate((plus, times, minus))
        ]
        for workflow in (
            {"id": wid, "steps": steps},
            {"id": poison_wid, "steps": [{"action": poison, "stepIndex": 0}]},
            {"id": probe_wid, "steps": [{"id": "probe", "action": plus, "retry": {"initialDelayMs": 200}}]},
        ):
            r = api.post("/workflow/", json=workflow)
            assert r.status_code == 201, r.text
    workers = Workers(orch, [plus, times, minus, poison], args.workers, executions, long)
    probe = Probe(probe_wid, args.probes, timeout=180)
    tally = Tally()
    accepted: dict[int, set[str]] = {}
    stop = threading.Event()
    half = args.runs // 2
    clients = [
        threading.Thread(
            target=trigger_keyed, args=(o.url, wid, part, accepted, tally, stop), kwargs={"pace": args.pace}
        )
        for o, part in zip(orchestrators, (range(0, half), range(half, args.runs)), strict=True)
    ]
    for t in clients:
        t.start()
    # first a settled baseline: the probes' time with nothing broken, once the workers took jobs
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not orch.sql(
        "SELECT 1 FROM runs WHERE workflow_id = %s AND status = 'COMPLETED' LIMIT 1", wid
    ):
        time.sleep(0.2)
    baseline = probe(orch.url, time.monotonic())
    events = plan(args)
    kills = {"broker": 0, "orchestrator": 0, "worker": 0, "postgres": 0}
    try:
        for kind, which in events:
            t0 = time.monotonic()
            if kind == "broker":
                stack.kill_broker(which)
                failover["broker kill"].append(probe(orchestrators[kills["broker"] % 2].url, t0))
                rest = args.down_seconds - (time.monotonic() - t0)
                if rest > 0:
                    stop.wait(rest)  # the broker stays down a while under traffic, probed or not
                stack.start("kafka")  # starts the broker that is down, awaits the whole cluster
            elif kind == "orchestrator":
                victim, other = orchestrators[which], orchestrators[1 - which]
                victim.kill()
                failover["orchestrator kill"].append(probe(other.url, t0))
                victim.start()
            elif kind == "worker":
                workers.kill_one()
            else:
                stack.stop("postgres")
                stack.start("postgres")
                failover["postgres restart"].append(probe(orch.url, t0))
            kills[kind] += 1
            print(
                f"  {time.monotonic() - t0:5.1f}s  {kind} {what(kind, which)} done; triggers accepted "
                f"{len(accepted)}/{args.runs}",
                flush=True,
            )
        for t in clients:
            t.join(args.timeout)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            if (
                orch.sql(
                    "SELECT count(*) FROM runs WHERE status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')"
                )[0][0]
                == 0
            ):
                break
            time.sleep(0.5)
        dead = died_of_signals(orchestrators, workers)
        ns = argparse.Namespace(runs=args.runs, garbage=0)
        report = {
            k: v
            for k, v in measure(orch, wid, poison_wid, ns, accepted, {}, executions).items()
            if not k.startswith(("poison", "garbage"))
        }
    finally:
        stop.set()
        workers.stop()
    report["probe runs before any fault"] = "never" if baseline is None else f"{baseline:.1f}s"
    report["broker kills"] = kills["broker"]
    report["orchestrator kills"] = kills["orchestrator"]
    report["worker kills"] = kills["worker"]
    report["postgres restarts"] = kills["postgres"]
    report["5xx answers"] = len(tally.server_errors)
    report["answers by status"] = dict(sorted(tally.statuses.items()))
    for line in tally.server_errors[:10]:
        print(f"  5xx: {line}")
    return report, dead


def what(kind: str, which: int) -> str:
    return {"broker": f"{which}", "orchestrator": f"{which + 1} of 2"}.get(kind, "")


def plan(args: argparse.Namespace) -> list[tuple[str, int]]:
    """The faults in order: each broker in turn, with orchestrator and worker kills between them and
    the PostgreSQL restart in the middle."""
    brokers = [("broker", 1 + n % 3) for n in range(args.broker_kills)]
    orchestrators = [("orchestrator", n % 2) for n in range(args.orchestrator_kills)]
    others = [("worker", 0)] * args.worker_kills + [("postgres", 0)] * args.postgres_restarts
    events: list[tuple[str, int]] = []
    while brokers or orchestrators or others:
        for queue in (brokers, orchestrators, others):
            if queue:
                events.append(queue.pop(0))
    middle = [e for e in events if e[0] == "postgres"]
    rest = [e for e in events if e[0] != "postgres"]
    return rest[: len(rest) // 2] + middle + rest[len(rest) // 2 :]


if __name__ == "__main__":
    sys.exit(main())
