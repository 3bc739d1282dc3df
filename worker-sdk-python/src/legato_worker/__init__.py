"""Legato worker SDK: run workflow steps from Kafka in Python.

from legato_worker import Worker

worker = Worker()  # configured by LEGATO_* environment variables
worker.register("step1", lambda payload: f"Processed: {payload}")

@worker.action("import-rows")      # a second parameter receives the JobContext
def import_rows(payload, ctx):
    for i in range((ctx.last_heartbeat_details or {}).get("done", 0), payload["rows"]):
        ctx.raise_if_cancelled()       # ctx.cancelled is a threading.Event
        ...
        ctx.heartbeat({"done": i + 1})  # coalesced: cheap to call often
worker.start()     # blocks; SIGTERM/SIGINT drain in-flight jobs, then return;
                   # raises WorkerFatalError if Kafka makes going on impossible
"""

from legato_worker._async_client import AsyncClient, AsyncRunHandle
from legato_worker._builder import Concurrency, Retry, Workflow
from legato_worker._client import Client, RunHandle
from legato_worker._client_errors import (
    ApiError,
    AwaitTimeout,
    Conflict,
    ConnectionFailed,
    Forbidden,
    InvalidRequest,
    LegatoError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RunCancelled,
    RunFailed,
    ServerError,
    Unauthorized,
)
from legato_worker._context import JobContext
from legato_worker._errors import (
    ApplicationError,
    AttemptCancelled,
    NonRetryableError,
    SerializationError,
    WorkerFatalError,
)
from legato_worker._handlers import Handler, current_job
from legato_worker._refs import ref, step_ref
from legato_worker._runs import Run, RunSummary
from legato_worker._settings import WorkerSettings
from legato_worker._typed import InvalidPayload
from legato_worker._version import __version__
from legato_worker._worker import Worker

__all__ = [
    "ApiError",
    "ApplicationError",
    "AsyncClient",
    "AsyncRunHandle",
    "AttemptCancelled",
    "AwaitTimeout",
    "Client",
    "Concurrency",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "Handler",
    "InvalidPayload",
    "InvalidRequest",
    "JobContext",
    "LegatoError",
    "NonRetryableError",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "Retry",
    "Run",
    "RunCancelled",
    "RunFailed",
    "RunHandle",
    "RunSummary",
    "SerializationError",
    "ServerError",
    "Unauthorized",
    "Worker",
    "WorkerFatalError",
    "WorkerSettings",
    "Workflow",
    "__version__",
    "current_job",
    "ref",
    "step_ref",
]
