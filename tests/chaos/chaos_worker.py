"""A worker process for `make chaos`: the three no-op steps (each execution logged; the third, whose
action has a limit, also logs when it ran) and a poison step, or (`--long ACTION`) the long
heartbeating step alone (each start logged)."""

import os
import sys
import time
from typing import Any

from legato_worker import AttemptCancelled, JobContext, Worker, WorkerSettings

BEAT_S = 0.25

POISON = ["bad\x00byte", 10**30, {"k\x00": 1}]


def long_worker(action: str, log: int) -> None:
    worker = Worker()

    def beating(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        os.write(log, f"long {payload['run']} {ctx.attempt} {ctx.run_id} {ctx.job_id}\n".encode())
        start = int((ctx.last_heartbeat_details or {}).get("done", 0))
        for i in range(start, payload["beats"]):
            if ctx.cancelled.wait(BEAT_S):
                raise AttemptCancelled(ctx.cancel_reason)
            ctx.heartbeat({"done": i + 1})
        return {"run": payload["run"], "attempt": ctx.attempt}

    worker.register(action, beating)
    worker.start()


def main() -> None:
    log = os.open(os.environ["CHAOS_EXECUTIONS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    if sys.argv[1] == "--long":
        long_worker(sys.argv[2], log)
        return
    plus, times, minus, poison = sys.argv[1:5]
    settings = WorkerSettings.from_env()
    settings = WorkerSettings(
        **{**settings.__dict__, "kafka_config": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}}
    )
    worker = Worker(settings)

    def step(name: str, fn: "type[int] | object") -> object:
        def handle(payload: dict[str, int]) -> dict[str, int]:
            os.write(log, f"{name} {payload['run']}\n".encode())  # one O_APPEND write: atomic
            return {"run": payload["run"], "value": fn(payload["value"])}  # type: ignore[operator]

        return handle

    slots = os.open(os.environ["CHAOS_SLOTS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    minus3 = step("minus3", lambda v: v - 3)

    def limited(payload: dict[str, int]) -> object:
        """The limited action: when each execution ran (CLOCK_MONOTONIC, shared by the processes)."""
        began = time.monotonic_ns()
        out = minus3(payload)  # type: ignore[operator]
        os.write(slots, f"{began} {time.monotonic_ns()}\n".encode())
        return out

    worker.register(plus, step("plus1", lambda v: v + 1))
    worker.register(times, step("times2", lambda v: v * 2))
    worker.register(minus, limited)
    worker.register(poison, lambda p: POISON[p["run"] % len(POISON)])
    worker.start()


if __name__ == "__main__":
    main()
