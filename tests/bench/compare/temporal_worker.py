"""The Temporal side of `make bench-compare`: one worker process with three no-op activities and a
workflow that runs them in sequence (the peers' venv: temporalio).

    temporal_worker.py ADDRESS TASK_QUEUE
"""

import asyncio
import contextlib
import sys
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

ACTIVITIES = ("bench-a", "bench-b", "bench-c")


@activity.defn(name="bench-a")
async def bench_a(payload: Any) -> Any:
    return payload


@activity.defn(name="bench-b")
async def bench_b(payload: Any) -> Any:
    return payload


@activity.defn(name="bench-c")
async def bench_c(payload: Any) -> Any:
    return payload


@workflow.defn(name="BenchWorkflow")
class BenchWorkflow:
    @workflow.run
    async def run(self, payload: Any) -> Any:
        for name in ACTIVITIES:
            payload = await workflow.execute_activity(
                name, payload, start_to_close_timeout=timedelta(seconds=60)
            )
        return payload


async def main(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    worker = Worker(
        client, task_queue=task_queue, workflows=[BenchWorkflow], activities=[bench_a, bench_b, bench_c]
    )
    await worker.run()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(sys.argv[1], sys.argv[2]))
