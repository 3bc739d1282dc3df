"""`make bench-compare`, Temporal: a dev server (SQLite file, loopback, headless), one Python worker
process (temporal_worker.py) and this load generator (the peers' venv: temporalio).

Saturation: N workflows started through `clients` concurrent starters as fast as possible, then all
awaited. Light load: runs offered at a fixed rate, then awaited. Run latency and the span are the
server's own record of each execution (start time -> close time, read from its visibility store).
Every process started here is stopped on exit, on error and on SIGTERM.
"""

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import STEPS, add_phase_arguments, exit_on_sigterm, phase, write_result
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

HERE = Path(__file__).parent
WORKFLOW = "BenchWorkflow"
# The dev server keeps everything in SQLite through one connection. "wal": a file in WAL mode with
# every commit synced (synchronous=FULL), as durable as Legato's PostgreSQL with fsync and
# synchronous_commit on, and faster than the default rollback journal; "default": the file with
# the dev server's own pragmas; "memory": no file (lost when the server stops).
STORES: dict[str, list[str]] = {
    "wal": ["journal_mode=WAL", "synchronous=FULL"],
    "default": [],
    "memory": [],
}


@contextmanager
def started(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def connect(address: str, server: subprocess.Popen[bytes], timeout: float) -> Client:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the Temporal server exited ({server.returncode}) while starting")
        try:
            return await Client.connect(address)
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def run_phase(
    client: Client, task_queue: str, prefix: str, runs: int, clients: int, rate: float, timeout: float
) -> tuple[tuple[float, float], int]:
    """Start `runs` workflows through `clients` concurrent starters (at `rate` runs/s over all of
    them, or as fast as possible), then await them. Returns the wall-clock window and the failures."""
    handles: list[WorkflowHandle[Any, Any] | None] = [None] * runs
    loop_start = time.monotonic()

    async def starter(first: int) -> None:
        for i in range(first, runs, clients):
            if rate:
                pause = loop_start + i / rate - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
            handles[i] = await client.start_workflow(
                WORKFLOW, {"i": i}, id=f"{prefix}-{i}", task_queue=task_queue
            )

    failed = 0

    async def awaiter(first: int) -> None:
        nonlocal failed
        for i in range(first, runs, clients):
            while handles[i] is None:  # started by now unless its starter is still pacing
                await asyncio.sleep(0.01)
            handle = handles[i]
            assert handle is not None
            try:
                await handle.result()
            except Exception:
                failed += 1

    t0 = time.time()
    await asyncio.wait_for(
        asyncio.gather(*(starter(c) for c in range(clients)), *(awaiter(c) for c in range(clients))),
        timeout,
    )
    return (t0, time.time()), failed


async def spans(client: Client, prefix: str, runs: int, timeout: float) -> list[tuple[float, float]]:
    """(start, close) of the completed executions of a phase, once visibility holds all of them."""
    deadline = time.monotonic() + timeout
    while True:
        found: list[tuple[float, float]] = []
        async for execution in client.list_workflows(f'WorkflowType = "{WORKFLOW}"'):
            if (
                execution.id.startswith(prefix + "-")
                and execution.status == WorkflowExecutionStatus.COMPLETED
                and execution.close_time is not None
            ):
                found.append((execution.start_time.timestamp(), execution.close_time.timestamp()))
        if len(found) >= runs or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


async def bench(args: argparse.Namespace, server: subprocess.Popen[bytes], address: str) -> dict[str, Any]:
    client = await connect(address, server, 60)
    task_queue = f"bench-{uuid.uuid4().hex[:6]}"
    log = Path(args.state) / "worker.log"
    worker_cmd = [sys.executable, str(HERE / "temporal_worker.py"), address, task_queue]
    with started(worker_cmd, log):
        # Warm-up: one run through every step (the worker's first polls, caches), left out of the figures.
        warm_up = client.execute_workflow(
            WORKFLOW, {"warmup": True}, id=f"warmup-{task_queue}", task_queue=task_queue
        )
        await asyncio.wait_for(warm_up, 120)
        result: dict[str, Any] = {"system": "Temporal"}
        for name, prefix, runs, rate in (
            ("saturation", f"sat-{task_queue}", args.runs, 0.0),
            ("light", f"light-{task_queue}", args.light_runs, args.rate),
        ):
            if not runs:
                continue
            window, failed = await run_phase(
                client, task_queue, prefix, runs, args.clients, rate, args.timeout
            )
            found = await spans(client, prefix, runs - failed, 30)
            result[name] = phase(
                runs=runs, rate=rate, window=window, spans=found, failed=failed, steps=STEPS * len(found)
            )
            print(f"temporal {name}: {len(found)} of {runs} runs completed", flush=True)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--temporal", required=True, help="the temporal CLI binary")
    parser.add_argument("--state", required=True, help="a directory for the server's db file and logs")
    parser.add_argument("--port", type=int, default=17233, help="frontend gRPC; HTTP and metrics take +1, +2")
    parser.add_argument(
        "--store",
        choices=tuple(STORES),
        default="wal",
        help="SQLite: a file in WAL mode, each commit synced (durable, as Legato's PostgreSQL is); "
        "a file with the dev server's own pragmas; or in memory",
    )
    add_phase_arguments(parser, 1000)
    args = parser.parse_args()
    exit_on_sigterm()
    state = Path(args.state)
    state.mkdir(parents=True, exist_ok=True)
    db = state / "bench.db"
    for stale in state.glob("bench.db*"):
        stale.unlink()  # a fresh store every time: visibility then lists this run's executions only
    address = f"127.0.0.1:{args.port}"
    server_cmd = [
        args.temporal,
        "server",
        "start-dev",
        "--headless",
        "--ip",
        "127.0.0.1",
        "--port",
        str(args.port),
        "--http-port",
        str(args.port + 1),
        "--metrics-port",
        str(args.port + 2),
        "--log-level",
        "error",
    ]
    if args.store != "memory":
        server_cmd += ["--db-filename", str(db)]
    for pragma in STORES[args.store]:
        server_cmd += ["--sqlite-pragma", pragma]
    with started(server_cmd, state / "server.log") as server:
        result = asyncio.run(bench(args, server, address))
    version = subprocess.run([args.temporal, "--version"], capture_output=True, text=True, check=False)
    result["version"] = version.stdout.strip()  # "temporal version ... (Server 1.29.1, UI 2.42.1)"
    server = re.search(r"Server ([\w.]+)", result["version"])
    result["server"] = server.group(1) if server else "?"
    result["store"] = args.store
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # SIGTERM from the driver: everything started here is stopped
        sys.exit(130)
