"""Legato worker SDK: run workflow steps from Kafka in Python.

from legato_worker import Worker

worker = Worker()  # configured by LEGATO_* environment variables
worker.register("step1", lambda payload: f"Processed: {payload}")
worker.start()     # blocks; SIGTERM/SIGINT drain in-flight jobs, then return;
                   # raises WorkerFatalError if Kafka makes going on impossible
"""

from legato_worker._errors import ApplicationError, NonRetryableError, WorkerFatalError
from legato_worker._handlers import Handler, current_job
from legato_worker._settings import WorkerSettings
from legato_worker._version import __version__
from legato_worker._worker import Worker

__all__ = [
    "ApplicationError",
    "Handler",
    "NonRetryableError",
    "Worker",
    "WorkerFatalError",
    "WorkerSettings",
    "__version__",
    "current_job",
]
