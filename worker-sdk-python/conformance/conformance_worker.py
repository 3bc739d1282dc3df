"""The Python SDK's conformance worker: the actions every SDK implements identically."""

import time
from typing import Any

from legato_worker import ApplicationError, NonRetryableError, Worker, current_job

worker = Worker()


@worker.action("echo")
def echo(payload: Any) -> Any:
    return {"echo": payload, "sdk": "python"}


@worker.action("fail")
def fail(payload: Any) -> Any:
    raise ApplicationError("boom", type="ConformanceError", details={"payload": payload})


@worker.action("fail-plain")
def fail_plain(payload: Any) -> Any:
    raise RuntimeError("plain failure")


@worker.action("nonretryable")
def nonretryable(payload: Any) -> Any:
    raise NonRetryableError("declined", type="CardDeclined", details={"code": "51"})


@worker.action("slow")
def slow(payload: Any) -> Any:
    print(f"STARTED {current_job()['jobId']}", flush=True)
    time.sleep(payload["ms"] / 1000)
    return {"slept": payload["ms"]}


if __name__ == "__main__":
    worker.start()
