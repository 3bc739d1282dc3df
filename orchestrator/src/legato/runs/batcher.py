"""Group commit for triggers: concurrent requests share one transaction.

Requests wait in a queue; each writer thread takes whatever has queued up (at most `max_batch`)
and hands it to `write` in one go. Nothing waits on a timer: under light load a batch is a single
request, under heavy load batches grow by themselves while the previous one is being written.
Requests submitted together (`submit_all`, a batch trigger's runs) are taken together, never split:
their batch may pass `max_batch` by their number.

A database outage shorter than faults.RIDE_OUT_S (a PostgreSQL restart, a failover) is waited out:
the batch is written again, with backoff, until it commits or the time is up; its callers wait
rather than get a 503. Writing it again is safe even when a commit's answer was lost: every request's run
id is made here, so a run that did commit answers RunAlreadyExists, which its caller takes as made.
"""

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from psycopg_pool import ConnectionPool

from legato.faults import RIDE_OUT_S, ride_out

log = logging.getLogger(__name__)

Req = TypeVar("Req")

# write(conn, requests) -> one outcome per request: a value, or an exception to raise to its caller.
Writer = Callable[[Any, Sequence[Req]], Sequence[object]]


@dataclass(slots=True)
class _Pending(Generic[Req]):
    request: Req
    future: "Future[object]" = field(default_factory=Future)


class Batcher(Generic[Req]):
    def __init__(
        self,
        pool: ConnectionPool,
        write: Writer[Req],
        threads: int = 2,
        max_batch: int = 256,
        ride_out_s: float = RIDE_OUT_S,
    ) -> None:
        self._pool = pool
        self._ride_out_s = ride_out_s
        self._write = write
        self._queue: queue.SimpleQueue[list[_Pending[Req]] | None] = queue.SimpleQueue()
        self._max = max_batch
        self._threads = [
            threading.Thread(target=self._run, name=f"legato-trigger-writer-{n}", daemon=True)
            for n in range(threads)
        ]
        for t in self._threads:
            t.start()

    def submit(self, request: Req) -> "Future[object]":
        return self.submit_all([request])[0]

    def submit_all(self, requests: Sequence[Req]) -> "list[Future[object]]":
        """One future per request, in order; the requests are written in one batch."""
        group = [_Pending(r) for r in requests]
        if group:
            self._queue.put(group)
        return [p.future for p in group]

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = first
            while len(batch) < self._max:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # let this thread finish the batch, then stop
                    break
                batch += more
            self._flush(batch)

    def _flush(self, batch: list[_Pending[Req]]) -> None:
        requests = [p.request for p in batch]

        def write(time_left: float) -> Sequence[object]:
            with self._pool.connection(timeout=time_left) as conn:
                return self._write(conn, requests)

        try:
            outcomes = ride_out(write, "trigger writes", self._ride_out_s)
        except BaseException as exc:  # the whole batch failed (e.g. the database stayed down)
            for p in batch:
                p.future.set_exception(exc)
            return
        for p, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                p.future.set_exception(outcome)
            else:
                p.future.set_result(outcome)
