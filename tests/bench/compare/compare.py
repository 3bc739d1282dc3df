"""`make bench-compare`: the same workflow on Legato, a Temporal dev server and DBOS, side by side.

The workflow everywhere: three sequential no-op steps, each returning its input. For each system,
in turn, on this one box:

- saturation: N runs started through the same number of concurrent clients as fast as possible,
  then awaited; runs/s = completed / (last end - first start);
- light load: runs offered at a fixed rate (20 runs/s for 30 s), run latency p50 / p99;
- box CPU per step: the whole box's busy CPU time (/proc/stat: user + nice + system + irq + softirq,
  all cores) over the saturation phase, divided by the steps it ran; the same per process from
  /proc/<pid>/stat (the system's server, its worker, PostgreSQL, the load generator, ...).

Run latency and the span are each system's own record of a run: Legato runs.created_at ->
runs.ended_at, Temporal the execution's start -> close time, DBOS workflow_status created_at ->
completed_at. Legato runs on the dev stack that is up (`make up`); Temporal (a dev server built
from its Go module) and DBOS (PyPI) are installed on first use under $LEGATO_HOME/peers/, with
their own venv, so the orchestrator's venv is never touched. Each system runs in a process group of
its own, with a deadline, and everything started here is stopped at the end, on error and on Ctrl-C.
"""

import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cpu import Process, Sampler

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
LEGATO_HOME = Path(os.environ.get("LEGATO_HOME") or REPO / ".legato")
PEERS = LEGATO_HOME / "peers"
REQUIREMENTS = HERE / "requirements-peers.txt"
# The Temporal CLI (whose `server start-dev` is the dev server), built with `go install` through the
# Go module proxy. v1.5.1 is the newest release installable so: later ones carry a replace directive.
TEMPORAL_CLI = "github.com/temporalio/cli/cmd/temporal"
TEMPORAL_CLI_VERSION = "v1.5.1"
SYSTEMS = ("legato", "temporal", "dbos")
STORE_NAMES = {"wal": "file, WAL, synced", "default": "file, default pragmas", "memory": "in memory"}
STEPS = 3
# Processes told apart by their command line (nearest ancestor first), then by the stack's pid files.
MARKERS = (
    ("noop_worker.py", "worker"),
    ("temporal_worker.py", "worker"),
    ("server start-dev", "Temporal server"),
    ("tests/bench/bench.py", "load generator"),
    ("run_temporal.py", "load generator"),
    ("run_dbos.py", "DBOS app: workflows + load generator"),
)


def env_default(name: str, default: str) -> str:
    return os.environ.get(f"BENCH_COMPARE_{name}") or default


# ---- installed on demand ------------------------------------------------------------------------


def peers_python() -> Path:
    """The peers' venv (temporalio, dbos, psycopg; pinned in requirements-peers.txt), made or
    updated when the pins changed."""
    venv = PEERS / "venv"
    python = venv / "bin" / "python"
    stamp = venv / ".requirements"
    wanted = REQUIREMENTS.read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"installing the peers' Python packages into {venv} (once) ...", flush=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True, timeout=900)
    stamp.write_text(wanted)
    return python


def temporal_cli() -> Path:
    """The Temporal CLI, built once with the Go toolchain (several minutes on 2 cores)."""
    gobin = PEERS / f"temporal-cli-{TEMPORAL_CLI_VERSION}"
    binary = gobin / "temporal"
    if binary.exists():
        return binary
    go = shutil.which("go") or next((g for g in ("/usr/local/go/bin/go",) if Path(g).exists()), None)
    if go is None:
        raise RuntimeError("go not found: the Temporal CLI is built with it (its module needs Go 1.25+)")
    print(
        f"building the Temporal CLI {TEMPORAL_CLI_VERSION} into {gobin} (once, several minutes) ...",
        flush=True,
    )
    gobin.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOBIN": str(gobin)}
    subprocess.run(
        [go, "install", f"{TEMPORAL_CLI}@{TEMPORAL_CLI_VERSION}"], env=env, check=True, timeout=3600
    )
    return binary


# ---- running one system -------------------------------------------------------------------------


@contextmanager
def process_group(command: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    """A system's load generator in a process group of its own; on exit the whole group (its
    server and worker too) gets SIGTERM, then SIGKILL after 30 s."""
    proc = subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        for sig, grace in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _group_alive(proc):
                time.sleep(0.2)
            if not _group_alive(proc):
                break


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    proc.poll()
    try:
        os.killpg(proc.pid, 0)
        return True
    except ProcessLookupError:
        return False


def run_system(command: list[str], timeout: float) -> dict[str, Any]:
    """Runs one system's module; its result, with the module's pid as "pid"."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        with process_group([*command, "--out", str(out)]) as proc:
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"no result in {timeout:.0f} s") from None
        if code != 0 or not out.exists():
            raise RuntimeError(f"{Path(command[1]).name} exited {code}")
        result: dict[str, Any] = json.loads(out.read_text())
        result["pid"] = proc.pid
        return result


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def drop_database(url: str, name: str) -> None:
    """The DBOS database, dropped again here in case run_dbos.py was killed before it could."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def system_command(system: str, args: argparse.Namespace) -> list[str]:
    light_runs = str(round(args.light_rate * args.light_seconds))
    common = ["--light-runs", light_runs, "--rate", str(args.light_rate), "--clients", str(args.clients)]
    if system == "legato":
        runs = ["--runs", str(args.legato_runs), "--timeout", str(args.timeout)]
        target = ["--api", args.api, "--database-url", args.database_url]
        return [sys.executable, str(HERE / "run_legato.py"), *runs, *common, *target]
    python = str(peers_python())
    if system == "temporal":
        for port in range(args.temporal_port, args.temporal_port + 3):
            if not port_free(port):
                raise RuntimeError(f"port {port} is taken: pass --temporal-port")
        target = ["--temporal", str(temporal_cli()), "--state", str(PEERS / "temporal")]
        target += ["--port", str(args.temporal_port), "--store", args.temporal_store]
        runs = ["--runs", str(args.temporal_runs), "--timeout", str(args.timeout)]
        return [python, str(HERE / "run_temporal.py"), *runs, *common, *target]
    target = ["--database-url", args.database_url, "--database", args.dbos_database]
    runs = ["--runs", str(args.dbos_runs), "--timeout", str(args.timeout)]
    return [python, str(HERE / "run_dbos.py"), *runs, *common, *target]


# ---- CPU ----------------------------------------------------------------------------------------


def stack_pids() -> dict[int, str]:
    """The dev stack's processes, from the pid files deploy/stack.sh and deploy/proc.sh write."""
    names = {"postgres": "PostgreSQL", "kafka": "Kafka", "redis": "Redis"}
    pids: dict[int, str] = {}
    for file in sorted((LEGATO_HOME / "run").glob("**/*.pid")):
        try:
            pid = int(file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if file.parent.name == "stack":
            pids[pid] = names.get(file.stem.split("-")[0], file.stem)
        elif file.stem.startswith("orchestrator"):
            pids[pid] = "Legato orchestrator"
    return pids


def labeller(sampler: Sampler, system_pid: int) -> Callable[[Process], str]:
    """A process's label: within the system's process group by its command line (the nearest
    ancestor that has a marker), the dev stack by its pid files, else "other: <its name>" (the
    rest of the box: anything else running on it shows here)."""
    stack = stack_pids()
    me = os.getpid()

    def label(p: Process) -> str:
        chain = [p, *sampler.ancestry(p.ppid)]
        if any(q.pid == system_pid for q in chain):
            for q in chain:
                for marker, name in MARKERS:
                    if marker in q.cmdline:
                        return name
            return "load generator"
        for q in chain:
            if q.pid in stack:
                return stack[q.pid]
            if q.pid == me:
                return "compare driver"
        return f"other: {p.comm}"

    return label


def cpu_figures(sampler: Sampler, system_pid: int, window: list[float], steps: int) -> dict[str, Any]:
    t0, t1 = window
    box = sampler.box_seconds(t0, t1)
    by_label = sampler.process_seconds(t0, t1, labeller(sampler, system_pid))
    others = {k.removeprefix("other: "): v for k, v in by_label.items() if k.startswith("other: ")}
    mine = {k: v for k, v in by_label.items() if not k.startswith("other: ")}
    if others:
        mine["other"] = sum(others.values())

    def per_step(seconds: dict[str, float]) -> dict[str, float]:
        ranked = sorted(seconds.items(), key=lambda kv: -kv[1])
        return {k: v / steps * 1000 if steps else math.nan for k, v in ranked}

    return {
        "window_s": t1 - t0,
        "box_cpu_s": box,
        "box_cores_busy": box / (t1 - t0),
        "box_ms_per_step": box / steps * 1000 if steps else math.nan,
        "ms_per_step": per_step(mine),
        "other_ms_per_step": dict(list(per_step(others).items())[:5]),  # what else ran, by name
    }


# ---- the table ----------------------------------------------------------------------------------


def _n(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return (
        f"{value / 1000:,.2f} s"
        if value >= 10_000
        else f"{value:,.1f} ms"
        if value < 100
        else f"{value:,.0f} ms"
    )


def _cpu(c: dict[str, Any]) -> str:
    parts = ", ".join(f"{k} {v:.2f}" for k, v in c["ms_per_step"].items() if v >= 0.005)
    text = f"{c['box_cores_busy']:.2f} of {os.cpu_count()} cores busy; ms per step by process: {parts}"
    others = ", ".join(f"{k} {v:.2f}" for k, v in c["other_ms_per_step"].items() if v >= 0.005)
    return text + (f" (other: {others})" if others else "")


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"Side by side on {os.cpu_count()} cores: 3 sequential no-op steps per run, {args.clients} "
        "concurrent clients; run latency = each system's own record of a run, start -> end",
        "",
        "| system | saturation (runs/s, steps/s) "
        f"| run latency p50 / p99 at {args.light_rate:g} runs/s offered | box CPU per step |",
        "|---|---|---|---|",
    ]
    for r in results.values():
        if "error" in r:
            lines.append(f"| {r['name']} | failed: {r['error']} | | |")
            continue
        sat, light = r.get("saturation"), r.get("light")
        cells = [r["name"]]
        cells.append(f"{_n(sat['runs_per_s'])} runs/s, {_n(sat['steps_per_s'])} steps/s" if sat else "-")
        cells.append(f"{_ms(light['run_p50_ms'])} / {_ms(light['run_p99_ms'])}" if light else "-")
        cells.append(f"{r['cpu']['box_ms_per_step']:.2f} ms" if "cpu" in r else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Details:"]
    for r in results.values():
        if "error" in r:
            continue
        lines.append(f"- {r['name']}:")
        for name, p in (("saturation", r.get("saturation")), ("light load", r.get("light"))):
            if not p:
                continue
            offered = f"{p['rate']:g} runs/s offered" if p["rate"] else "as fast as possible"
            lines.append(
                f"  {name} ({offered}): {p['completed']} of {p['runs']} runs completed "
                f"({p['failed']} failed) in {p['span_s']:.1f} s, {_n(p['runs_per_s'])} runs/s; "
                f"run latency p50 {_ms(p['run_p50_ms'])}, p99 {_ms(p['run_p99_ms'])}"
            )
        for key, name in (("cpu", "the saturation phase"), ("light_cpu", "light load")):
            if key in r:
                lines.append(f"  CPU over {name}: {_cpu(r[key])}")
        if "idle_cores_busy" in r:
            lines.append(
                f"  box before it, idle ({args.idle_seconds:g} s): {r['idle_cores_busy']:.2f} cores busy"
            )
    return "\n".join(lines)


# ---- main ---------------------------------------------------------------------------------------


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--systems",
        default=env_default("SYSTEMS", ",".join(SYSTEMS)),
        help="comma-separated, of legato,temporal,dbos (env BENCH_COMPARE_SYSTEMS)",
    )
    parser.add_argument("--legato-runs", type=int, default=int(env_default("LEGATO_RUNS", "2000")))
    parser.add_argument("--temporal-runs", type=int, default=int(env_default("TEMPORAL_RUNS", "1000")))
    parser.add_argument("--dbos-runs", type=int, default=int(env_default("DBOS_RUNS", "2000")))
    parser.add_argument("--light-rate", type=float, default=float(env_default("LIGHT_RATE", "20")))
    parser.add_argument(
        "--light-seconds",
        type=float,
        default=float(env_default("LIGHT_SECONDS", "30")),
        help="0: no light phase",
    )
    parser.add_argument(
        "--clients", type=int, default=16, help="concurrent starters, the same for every system"
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds, per phase")
    parser.add_argument(
        "--idle-seconds", type=float, default=5, help="box CPU measured idle before each system"
    )
    parser.add_argument("--api", default=os.environ.get("LEGATO_API_URL", "http://127.0.0.1:8080"))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LEGATO_DATABASE_URL", "postgresql://legato:legato@localhost:5432/legato"),
        help="Legato's database; DBOS gets a database of its own beside it (the role needs CREATEDB)",
    )
    parser.add_argument("--dbos-database", default="dbos_bench")
    parser.add_argument(
        "--temporal-port", type=int, default=17233, help="frontend gRPC; HTTP and metrics take +1, +2"
    )
    parser.add_argument(
        "--temporal-store",
        choices=("wal", "default", "memory"),
        default="wal",
        help="the dev server's SQLite: a file in WAL mode with synchronous=FULL (default), "
        "its own default pragmas, or in memory",
    )
    parser.add_argument("--json", metavar="PATH", default=str(PEERS / "bench-compare.json"))
    args = parser.parse_args()
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"--systems: unknown {', '.join(sorted(unknown))} (of {', '.join(SYSTEMS)})")
    if not args.dbos_database.isidentifier():
        parser.error("--dbos-database: letters, digits and _ only")
    PEERS.mkdir(parents=True, exist_ok=True)

    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    names = {
        "legato": f"Legato ({commit.stdout.strip() or 'this tree'})",
        "temporal": f"Temporal dev server (CLI {TEMPORAL_CLI_VERSION})",
        "dbos": "DBOS Transact",
    }
    sampler = Sampler(0.25)
    sampler.start()
    results: dict[str, dict[str, Any]] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: a background job may have it ignored
        signal.signal(sig, _interrupt)
    try:
        for system in systems:
            entry: dict[str, Any] = {"name": names[system]}
            results[system] = entry
            print(f"\n=== {names[system]} ===", flush=True)
            try:
                command = system_command(system, args)  # installs a peer on first use
                idle_start = time.time()
                time.sleep(args.idle_seconds)
                entry["idle_cores_busy"] = sampler.box_seconds(idle_start, time.time()) / args.idle_seconds
                deadline = 2 * args.timeout + 300  # two phases, plus starting and stopping
                try:
                    entry.update(run_system(command, deadline))
                finally:
                    if system == "dbos":
                        drop_database(args.database_url, args.dbos_database)
                entry["name"] = names[system] + (f" {entry['version']}" if system == "dbos" else "")
                if system == "temporal":
                    entry["name"] = (
                        f"Temporal dev server {entry.get('server', '?')} "
                        f"(CLI {TEMPORAL_CLI_VERSION}, SQLite {STORE_NAMES[args.temporal_store]})"
                    )
                for phase, key in (("saturation", "cpu"), ("light", "light_cpu")):
                    if phase in entry:
                        p = entry[phase]
                        entry[key] = cpu_figures(sampler, entry["pid"], p["window"], p["steps"])
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                entry["error"] = str(e)
                print(f"{system}: {e}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted: everything started here was stopped", file=sys.stderr)
        return 130
    finally:
        sampler.stop()
    text = report(results, args)
    print("\n" + text)
    Path(args.json).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"\n(all figures: {args.json})")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
