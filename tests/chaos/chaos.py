"""`make chaos`: a bounded soak that hunts for lost, duplicated or twice-applied work.

Keyed runs of a 3-step workflow are triggered by clients that retry with the same Idempotency-Key
until accepted, while the orchestrator and the worker processes are killed with SIGKILL on a
schedule, workers return poison outputs for a second workflow, long heartbeating steps of a third
run on a worker that is never killed, runs of a fourth wait for a signal (sent twice with one
signalId, before or after the step waits) and then run a child workflow, garbage is written to the
results topic and another client sends bad requests; meanwhile a topic is fed records that a
Kafka-topic trigger turns into runs, a schedule fires every second, and two actions have limits (the
most in flight is measured). Then it waits for every run to end and
reports, with attempt timeouts by type. Exit status 1 on any lost, duplicated, wrong or
twice-applied run, any signal taken twice or lost, any step with two children, any timeout of a
long step (its worker never stopped beating: the orchestrator's restarts must not time it out), or
any 5xx answer, any record without exactly one run, or any fire time with two runs or none.
"""

import argparse
import collections
import os
import random
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.orchestrator import REPO, Orchestrator
from harness.services import require_stack

LOGS = REPO / ".legato" / "logs" / "chaos"
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
SIGNAL_BASE = 1_000_000  # the `run` numbers of the signal workflow's runs (apart from the main ones)
RECORD_BASE = 2_000_000  # of the runs the topic's records start
SCHEDULED = 3_000_000  # of the schedule's runs
LIMIT = 4  # maxConcurrent of the third step's action
RATE = 200  # per second, of the first step's action


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.server_errors: list[str] = []

    def saw(self, what: str, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{what}: {response.status_code} {response.text[:200]}")


def _post(client: httpx.Client, tally: Tally, what: str, url: str, **kw: Any) -> httpx.Response | None:
    try:
        r = client.post(url, **kw)
    except httpx.HTTPError:
        return None  # the orchestrator is down (being killed): retry
    tally.saw(what, r)
    return r


def trigger_keyed(
    url: str,
    wid: str,
    runs: range,
    accepted: dict[int, set[str]],
    tally: Tally,
    stop: threading.Event,
    extra: dict[str, Any] | None = None,
    pace: float = 0.0,
    base: int = 0,
) -> None:
    """Trigger `runs` keyed runs, each retried with its key until accepted (`pace` s apart); a run's
    `run` number is `base` + its index."""
    with httpx.Client(base_url=url, timeout=5) as client:
        for i in runs:
            while not stop.is_set():
                body = {"input": {"run": base + i, "value": i, **(extra or {})}}
                r = _post(
                    client,
                    tally,
                    "trigger",
                    f"/workflow/{wid}/trigger",
                    json=body,
                    headers={"Idempotency-Key": f"chaos-{base + i}"},
                )
                if r is not None and r.status_code == 200:
                    accepted.setdefault(i, set()).add(r.json()["runId"])
                    stop.wait(pace)
                    break
                time.sleep(0.02)


def send_signals(
    url: str, accepted: dict[int, set[str]], count: int, tally: Tally, stop: threading.Event
) -> int:
    """Signal every accepted run of the signal workflow twice with one signalId (retrying while the
    orchestrator is down): the step takes it once. Returns how many sends were answered 200."""
    answered = 0
    done: set[int] = set()
    with httpx.Client(base_url=url, timeout=5) as client:
        while len(done) < count and not stop.is_set():
            ready = [(i, ids) for i, ids in list(accepted.items()) if i not in done]
            if not ready:
                time.sleep(0.05)
                continue
            for i, ids in ready:
                body = {"payload": {"value": i}, "signalId": f"chaos-signal-{i}"}
                sent = 0
                while sent < 2 and not stop.is_set():
                    run_id = next(iter(ids))
                    r = _post(client, tally, "signal", f"/workflow/run/{run_id}/signal/approval", json=body)
                    if r is not None and r.status_code == 200:
                        sent += 1
                    elif r is not None and r.status_code != 503:
                        tally.server_errors.append(f"signal: {r.status_code} {r.text[:200]}")
                        break
                    else:
                        time.sleep(0.05)
                answered += sent
                done.add(i)
    return answered


BAD_REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("nul input", {"content": b'{"input": "a\\u0000b"}'}),
    ("deep input", {"content": b'{"input": ' + b"[" * 300 + b"]" * 300 + b"}"}),
    ("huge number", {"content": b'{"input": 123456789012345678901234567890}'}),
    ("lossy float", {"content": b'{"input": 0.1000000000000000000001}'}),
    ("not json", {"content": b'{"input": '}),
    ("oversized", {"content": b'{"input": "' + b"x" * 1_100_000 + b'"}'}),
    ("long correlation id", {"json": {"input": 1}, "headers": {"X-Correlation-Id": "c" * 300}}),
    ("extra field", {"json": {"input": 1, "other": 2}}),
]


def send_bad_requests(url: str, wid: str, count: int, tally: Tally, stop: threading.Event) -> int:
    sent = 0
    with httpx.Client(base_url=url, timeout=10, headers={"content-type": "application/json"}) as client:
        while sent < count and not stop.is_set():
            what, kw = BAD_REQUESTS[sent % len(BAD_REQUESTS)]
            r = _post(client, tally, what, f"/workflow/{wid}/trigger", **kw)
            if r is not None:
                if r.status_code < 400:
                    tally.server_errors.append(f"{what}: accepted ({r.status_code})")
                sent += 1
            else:
                time.sleep(0.05)
    return sent


class Workers:
    def __init__(
        self, orch: Orchestrator, actions: list[str], count: int, executions: Path, long_action: str
    ) -> None:
        self.env = {
            **os.environ,
            **orch.env,
            "CHAOS_EXECUTIONS": str(executions),
            "CHAOS_SLOTS": str(executions.with_suffix(".slots")),
        }
        self.args = [sys.executable, str(Path(__file__).parent / "chaos_worker.py"), *actions]
        self.procs = [self._spawn(n) for n in range(count)]
        self.steady = self._spawn(count, ["--long", long_action])  # never killed
        self.kills = 0

    def _spawn(self, n: int, args: list[str] | None = None) -> "subprocess.Popen[bytes]":
        log = (LOGS / f"worker-{n}.log").open("ab")
        argv = self.args if args is None else [*self.args[:2], *args]
        return subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def kill_one(self) -> None:
        n = random.randrange(len(self.procs))
        self.procs[n].kill()
        self.procs[n].wait(10)
        self.kills += 1
        self.procs[n] = self._spawn(n)

    def stop(self) -> None:
        for p in [*self.procs, self.steady]:
            p.terminate()
        for p in [*self.procs, self.steady]:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def inject_garbage(orch: Orchestrator, count: int) -> None:
    producer = Producer(orch.kafka_config())
    for n in range(count):
        producer.produce(orch.env["LEGATO_RESULTS_TOPIC"], value=os.urandom(40 + n), key=b"garbage")
    producer.flush(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--orchestrator-kills", type=int, default=10)
    ap.add_argument("--worker-kills", type=int, default=6)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--poison", type=int, default=30, help="runs whose worker returns a poison output")
    ap.add_argument("--long", type=int, default=20, help="runs of a heartbeating step of --long-seconds")
    ap.add_argument("--long-seconds", type=float, default=20.0)
    ap.add_argument("--long-pace", type=float, default=5.0, help="seconds between long runs' triggers")
    ap.add_argument("--signals", type=int, default=100, help="runs that wait for a signal, then run a child")
    ap.add_argument("--records", type=int, default=500, help="records fed to a topic a trigger takes")
    ap.add_argument("--garbage", type=int, default=20, help="undecodable records written to workflow-results")
    ap.add_argument("--bad-requests", type=int, default=200)
    ap.add_argument("--kill-interval", type=float, default=2.0, help="seconds between orchestrator kills")
    ap.add_argument("--timeout", type=float, default=600, help="give up waiting for runs after this long")
    args = ap.parse_args()

    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    executions = LOGS / f"executions-{os.getpid()}.log"
    executions.unlink(missing_ok=True)
    executions.with_suffix(".slots").unlink(missing_ok=True)
    orch = Orchestrator(LOGS)
    orch.start()
    started = time.monotonic()
    tag = orch.tag
    wid, poison_wid, long_wid = f"chaos-{tag}", f"chaos-poison-{tag}", f"chaos-long-{tag}"
    signal_wid, child_wid = f"chaos-signal-{tag}", f"chaos-child-{tag}"
    intake_wid = f"chaos-intake-{tag}"
    plus, times, minus, poison, long = (f"{tag}-{a}" for a in ("plus1", "times2", "minus3", "poison", "long"))
    with httpx.Client(base_url=orch.url, timeout=10) as api:
        steps = [
            {"action": a, "stepIndex": n, "retry": {"initialDelayMs": 200}}
            for n, a in enumerate((plus, times, minus))
        ]
        assert api.post("/workflow/", json={"id": wid, "steps": steps}).status_code == 201
        one = [{"action": poison, "stepIndex": 0, "retry": {"maxAttempts": 1}}]
        assert api.post("/workflow/", json={"id": poison_wid, "steps": one}).status_code == 201
        # a 3 s heartbeat timeout, beats every 1 s: every orchestrator restart outlasts the timeout
        beating = [{"id": "long", "action": long, "heartbeatSeconds": 3, "retry": {"maxAttempts": 3}}]
        assert api.post("/workflow/", json={"id": long_wid, "steps": beating}).status_code == 201
        child = [{"id": "double", "action": times, "retry": {"initialDelayMs": 200}}]
        assert api.post("/workflow/", json={"id": child_wid, "steps": child}).status_code == 201
        waiting = [
            {"id": "prep", "action": plus, "retry": {"initialDelayMs": 200}},
            {"id": "approve", "signal": {"name": "approval"}, "dependsOn": ["prep"]},
            {
                "id": "ship",
                "workflow": {"id": child_wid},
                "dependsOn": ["prep", "approve"],
                "input": {"run": "${steps.prep.output.run}", "value": "${steps.approve.output.value}"},
            },
        ]
        assert api.post("/workflow/", json={"id": signal_wid, "steps": waiting}).status_code == 201
        intake_topic = start_intake(api, orch, intake_wid, times)
        # flow control under the kills: the third step's action at most LIMIT in flight, the first's
        # at most RATE a second
        limited = api.put(f"/actions/{minus}/limits", json={"maxConcurrent": LIMIT})
        rated = api.put(f"/actions/{plus}/limits", json={"rate": {"limit": RATE, "periodSeconds": 1}})
        assert (limited.status_code, rated.status_code) == (200, 200), (limited.text, rated.text)
    workers = Workers(orch, [plus, times, minus, poison], args.workers, executions, long)
    tally = Tally()
    accepted: dict[int, set[str]] = {}
    poisoned: dict[int, set[str]] = {}
    long_accepted: dict[int, set[str]] = {}
    signal_accepted: dict[int, set[str]] = {}
    beats = round(args.long_seconds / 0.25)
    stop = threading.Event()
    half = args.runs // 2
    clients = [
        threading.Thread(target=trigger_keyed, args=(orch.url, wid, range(0, half), accepted, tally, stop)),
        threading.Thread(
            target=trigger_keyed, args=(orch.url, wid, range(half, args.runs), accepted, tally, stop)
        ),
        threading.Thread(
            target=trigger_keyed, args=(orch.url, poison_wid, range(args.poison), poisoned, tally, stop)
        ),
        threading.Thread(
            target=trigger_keyed,
            args=(
                orch.url,
                long_wid,
                range(args.long),
                long_accepted,
                tally,
                stop,
                {"beats": beats},
                args.long_pace,
            ),
        ),
    ]
    clients.append(
        threading.Thread(
            target=trigger_keyed,
            args=(orch.url, signal_wid, range(args.signals), signal_accepted, tally, stop),
            kwargs={"base": SIGNAL_BASE},
        )
    )
    signals_sent = [0]
    signaller = threading.Thread(
        target=lambda: signals_sent.__setitem__(
            0, send_signals(orch.url, signal_accepted, args.signals, tally, stop)
        )
    )
    clients.append(signaller)
    bad_sent = [0]
    bad = threading.Thread(
        target=lambda: bad_sent.__setitem__(
            0, send_bad_requests(orch.url, wid, args.bad_requests, tally, stop)
        )
    )
    feeder = threading.Thread(target=feed_records, args=(orch, intake_topic, args.records, stop))
    clients.append(feeder)
    for t in [*clients, bad]:
        t.start()
    inject_garbage(orch, args.garbage)
    kills = 0
    next_worker_kill = time.monotonic() + args.kill_interval * 1.5
    try:
        while kills < args.orchestrator_kills or workers.kills < args.worker_kills:
            stop.wait(args.kill_interval * random.uniform(0.5, 1.5))
            if kills < args.orchestrator_kills:
                orch.kill()
                kills += 1
                orch.start()
            if workers.kills < args.worker_kills and time.monotonic() >= next_worker_kill:
                workers.kill_one()
                next_worker_kill = time.monotonic() + args.kill_interval * 1.5
            print(
                f"  {time.monotonic() - started:5.0f}s  orchestrator kills {kills}, "
                f"worker kills {workers.kills}, triggers accepted {len(accepted)}/{args.runs}",
                flush=True,
            )
        for t in [*clients, bad]:
            t.join(args.timeout)
        stop_intake(orch, intake_wid, args)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            open_runs = orch.sql(
                "SELECT count(*) FROM runs WHERE status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')"
            )[0][0]
            if open_runs == 0:
                break
            time.sleep(0.5)
        report = measure(orch, wid, poison_wid, args, accepted, poisoned, executions)
        report.update(measure_long(orch, long_wid, args, long_accepted, executions))
        report.update(measure_signals(orch, signal_wid, child_wid, args, signal_accepted))
        report.update(measure_intake(orch, intake_wid, args))
        report["signal sends answered"] = signals_sent[0]
        report.update(measure_limits(executions.with_suffix(".slots")))
    finally:
        stop.set()
        workers.stop()
        orch.drop()
    report["orchestrator kills"] = kills
    report["worker kills"] = workers.kills
    report["bad requests sent"] = bad_sent[0]
    report["5xx answers"] = len(tally.server_errors)
    report["answers by status"] = dict(sorted(tally.statuses.items()))
    report["seconds"] = round(time.monotonic() - started)
    for key, value in report.items():
        print(f"{key:>34}  {value}")
    for line in tally.server_errors[:10]:
        print(f"  5xx/accepted bad request: {line}")
    failed = any(
        report[k]
        for k in (
            "runs lost",
            "duplicate runs",
            "wrong outputs",
            "steps applied twice",
            "5xx answers",
            "poison not isolated",
            "long runs lost",
            "long duplicate runs",
            "long steps timed out",
            "long steps run twice",
            "signal runs lost",
            "signal duplicate runs",
            "signal wrong outputs",
            "signals not taken once",
            "steps with two children",
            "records without one run",
            "fire times with two runs",
            "fire times missed",
            "limit exceeded",
        )
    )
    print("CHAOS FAILED" if failed else "chaos passed: nothing lost, duplicated, wrong or applied twice")
    return 1 if failed else 0


def start_intake(api: httpx.Client, orch: Orchestrator, wid: str, times: str) -> str:
    """A workflow the trigger and the schedule start, a topic, the trigger on it, the schedule."""
    steps = [{"id": "double", "action": times, "retry": {"initialDelayMs": 200}}]
    assert api.post("/workflow/", json={"id": wid, "steps": steps}).status_code == 201
    topic = f"{orch.tag}-chaos-in"
    admin = AdminClient(orch.kafka_config())
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=-1)])[topic].result(30)
    trigger = {
        "id": wid,
        "kafka": {"topic": topic, "fromBeginning": True},
        "workflowId": wid,
        "input": {"run": "${value.run}", "value": "${value.value}"},
    }
    assert api.post("/triggers", json=trigger).status_code == 201
    schedule = {
        "id": wid,
        "workflowId": wid,
        "every": "1s",
        "overlap": "allowAll",
        "input": {"run": SCHEDULED, "value": 1},
    }
    assert api.post("/schedules", json=schedule).status_code == 201
    return topic


def feed_records(orch: Orchestrator, topic: str, count: int, stop: threading.Event) -> None:
    """`count` records, a few at a time through the kills (plus one that is not JSON)."""
    producer = Producer({**orch.kafka_config(), "linger.ms": 5})
    producer.produce(topic, value=b"not json")
    for n in range(count):
        producer.produce(topic, value=b'{"run": %d, "value": %d}' % (RECORD_BASE + n, n), key=str(n % 7))
        if n % 25 == 24:
            producer.flush(30)
            if stop.wait(0.5):
                break
    producer.flush(30)


def stop_intake(orch: Orchestrator, wid: str, args: argparse.Namespace) -> None:
    """The schedule paused; every record taken (the trigger's lag at 0)."""
    deadline = time.monotonic() + args.timeout
    with httpx.Client(base_url=orch.url, timeout=10) as api:
        while time.monotonic() < deadline:
            try:
                if api.post(f"/schedules/{wid}/pause").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        while time.monotonic() < deadline:
            try:
                if api.get(f"/triggers/{wid}").json()["lag"] == 0:
                    break
            except (httpx.HTTPError, KeyError):
                pass
            time.sleep(0.5)


def measure_intake(orch: Orchestrator, wid: str, args: argparse.Namespace) -> dict[str, Any]:
    """One run per record fed (the bad one dead-lettered); one run per fire time, and no gap."""
    per_record = collections.Counter(
        int(n) for (n,) in orch.sql("SELECT input->>'run' FROM runs WHERE trigger_id = %s", wid)
    )
    wanted = range(RECORD_BASE, RECORD_BASE + args.records)
    fired = orch.sql(
        "SELECT scheduled_at, count(*) FROM runs WHERE schedule_id = %s GROUP BY 1 ORDER BY 1", wid
    )
    gaps = sum(round((b[0] - a[0]).total_seconds()) - 1 for a, b in pairwise(fired))
    dead = orch.sql("SELECT dead_lettered FROM triggers WHERE trigger_id = %s", wid)[0][0]
    return {
        "records fed": args.records,
        "records without one run": sum(1 for n in wanted if per_record[n] != 1)
        + len(set(per_record) - set(wanted)),
        "bad records dead-lettered": dead,
        "schedule fire times": len(fired),
        "fire times with two runs": sum(1 for _, n in fired if n > 1),
        "fire times missed": gaps,
    }


def measure(
    orch: Orchestrator,
    wid: str,
    poison_wid: str,
    args: argparse.Namespace,
    accepted: dict[int, set[str]],
    poisoned: dict[int, set[str]],
    executions: Path,
) -> dict[str, Any]:
    rows = {
        str(r[0]): r for r in orch.sql("SELECT run_id, status, output FROM runs WHERE workflow_id = %s", wid)
    }
    lost = [
        i
        for i in range(args.runs)
        if i not in accepted or not any(rows.get(r, (0, ""))[1] == "COMPLETED" for r in accepted[i])
    ]
    duplicates = len(rows) - len(accepted) + sum(len(ids) - 1 for ids in accepted.values())
    wrong = [
        i
        for i, ids in accepted.items()
        for r in ids
        if r in rows and rows[r][2] != {"run": i, "value": (i + 1) * 2 - 3}
    ]
    twice = orch.sql(
        """SELECT count(*) FROM (SELECT e.run_id, e.step_id FROM run_events e JOIN runs r USING (run_id)
           WHERE r.workflow_id = %s AND e.type = 'STEP_COMPLETED' GROUP BY 1, 2 HAVING count(*) > 1) AS d""",
        wid,
    )[0][0]
    counts = collections.Counter(
        tuple(fields)
        for fields in (line.split() for line in executions.read_text().splitlines())
        if fields and fields[0] != "long" and int(fields[1]) < SIGNAL_BASE
    )
    per_step = collections.Counter(counts.values())
    poison_rows = orch.sql(
        "SELECT r.status, s.error ->> 'type' FROM runs r JOIN steps s USING (run_id)"
        " WHERE r.workflow_id = %s",
        poison_wid,
    )
    isolated = sum(1 for status, error in poison_rows if status == "FAILED" and error == "InvalidOutput")
    return {
        "runs": args.runs,
        "runs stored": len(rows),
        "runs completed": sum(1 for r in rows.values() if r[1] == "COMPLETED"),
        "runs lost": len(lost),
        "duplicate runs": duplicates,
        "wrong outputs": len(wrong),
        "steps applied twice": twice,
        "handler executions per step": dict(sorted(per_step.items())),
        "steps never executed": args.runs * 3 - len(counts),
        "poison runs failed InvalidOutput": f"{isolated}/{len(poisoned)}",
        "poison not isolated": len(poisoned) - isolated,
        "garbage results injected": args.garbage,
    }


def measure_limits(slots: Path) -> dict[str, Any]:
    """The most executions of the limited action at once (each logged when it ended; one cut short by
    a worker kill is not)."""
    edges = sorted(
        (int(t), step)
        for line in slots.read_text().splitlines()
        for t, step in zip(line.split(), (1, -1), strict=True)
    )
    now = most = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return {
        f"most limited steps at once (limit {LIMIT})": most,
        "limit exceeded": max(0, most - LIMIT),
    }


def measure_signals(
    orch: Orchestrator,
    signal_wid: str,
    child_wid: str,
    args: argparse.Namespace,
    accepted: dict[int, set[str]],
) -> dict[str, Any]:
    """Each run of the signal workflow took its signal once (sent twice) and ran exactly one child."""
    rows = {
        str(r[0]): r
        for r in orch.sql("SELECT run_id, status, output FROM runs WHERE workflow_id = %s", signal_wid)
    }
    lost = [
        i
        for i in range(args.signals)
        if not any(rows.get(r, (0, ""))[1] == "COMPLETED" for r in accepted.get(i, ()))
    ]
    wrong = [
        i
        for i, ids in accepted.items()
        for r in ids
        if r in rows and rows[r][2] != {"run": SIGNAL_BASE + i, "value": 2 * i}
    ]
    taken = orch.sql(
        "SELECT count(*) FROM runs r LEFT JOIN signals g USING (run_id) WHERE r.workflow_id = %s"
        " GROUP BY r.run_id HAVING count(g.id) <> 1 OR count(g.consumed_at) <> 1",
        signal_wid,
    )
    children = orch.sql(
        "SELECT count(*) FROM runs c JOIN runs p ON p.run_id = c.parent_run_id"
        " WHERE p.workflow_id = %s AND c.workflow_id = %s GROUP BY c.parent_run_id, c.parent_step_id"
        " HAVING count(*) > 1",
        signal_wid,
        child_wid,
    )
    return {
        "signal runs": args.signals,
        "signal runs lost": len(lost),
        "signal duplicate runs": sum(1 for i in range(args.signals) if len(accepted.get(i, ())) > 1),
        "signal wrong outputs": len(wrong),
        "signals not taken once": len(taken),
        "steps with two children": len(children),
    }


def measure_long(
    orch: Orchestrator,
    long_wid: str,
    args: argparse.Namespace,
    accepted: dict[int, set[str]],
    executions: Path,
) -> dict[str, Any]:
    """The long steps' worker was never killed: none may time out or start twice."""
    rows = {
        str(r[0]): r[1] for r in orch.sql("SELECT run_id, status FROM runs WHERE workflow_id = %s", long_wid)
    }
    lost = [i for i in range(args.long) if not any(rows.get(r) == "COMPLETED" for r in accepted.get(i, ()))]
    timeouts = orch.sql(
        "SELECT r.workflow_id = %s, j.deadline_kind, count(*) FROM jobs j JOIN runs r USING (run_id)"
        " WHERE j.state = 'TIMED_OUT' GROUP BY 1, 2 ORDER BY 1, 2",
        long_wid,
    )
    # `long <index> <attempt> <runId> <jobId>` per start
    started = [line.split() for line in executions.read_text().splitlines() if line.startswith("long ")]
    starts = collections.Counter(fields[1] for fields in started)
    twice = {index for index, n in starts.items() if n > 1}
    return {
        "long runs": args.long,
        "long runs lost": len(lost),
        "long duplicate runs": sum(1 for i in range(args.long) if len(accepted.get(i, ())) > 1),
        "long steps timed out": sum(n for is_long, _, n in timeouts if is_long),
        "long steps run twice": len(twice),
        # the same job record delivered again (a re-publication) or a second job of the step
        "long starts twice, by job": dict(
            collections.Counter(
                "same job" if len({f[4] for f in started if f[1] == i}) == 1 else "other jobs" for i in twice
            )
        ),
        "attempt timeouts by type": {
            f"{'long' if is_long else 'short'} {kind}": n for is_long, kind, n in timeouts
        },
    }


if __name__ == "__main__":
    sys.exit(main())
