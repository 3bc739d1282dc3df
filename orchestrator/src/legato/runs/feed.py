"""Who is watching which run, and waking them when its history grows: the API's side of the event
streams (api.event_stream).

One thread per API process blocks on a LISTEN connection to `legato_events` (store.feed_sql: every
statement that appends to `run_events` notifies it with the runs it touched). A notification wakes
the watchers of those runs; an empty payload, a reconnect (notifications may have been missed while
the connection was down) and a slow tick (`SWEEP_S`, in case one was missed anyway) wake every
watcher. A woken watcher reads its run's new events itself, so a wake-up too many costs one query
and one too few costs at most `SWEEP_S` of latency: nothing is lost either way.

Watchers live on the event loop that serves their stream; the thread wakes them with
`call_soon_threadsafe`, never touching their state.
"""

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg

from legato.faults import is_outage
from legato.store import feed_sql

log = logging.getLogger(__name__)

SWEEP_S = 5.0  # every watcher looks again this often, notification or not
RECONNECT_S = 1.0


@dataclass(eq=False, slots=True)
class Watcher:
    """One stream's wake-up: set by the feed's thread, cleared by the stream before it reads."""

    run_id: UUID
    loop: asyncio.AbstractEventLoop
    woken: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # its loop closed (the server stops): none to wake
            self.loop.call_soon_threadsafe(self.woken.set)


class RunFeed:
    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._watchers: dict[UUID, set[Watcher]] = defaultdict(set)
        self._thread = threading.Thread(target=self._listen, name="legato-run-feed", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2 * RECONNECT_S)

    def watch(self, run_id: UUID) -> Watcher:
        """Start watching (call on the stream's event loop, before its first read: nothing written
        after that read can go unheard)."""
        watcher = Watcher(run_id, asyncio.get_running_loop())
        with self._lock:
            self._watchers[run_id].add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        with self._lock:
            watchers = self._watchers.get(watcher.run_id)
            if watchers is not None:
                watchers.discard(watcher)
                if not watchers:
                    del self._watchers[watcher.run_id]

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    conn.execute(feed_sql.LISTEN_EVENTS)
                    self._wake_all()  # events may have been written while nobody listened
                    while not self._stop.is_set():
                        self._wait(conn)
            except psycopg.Error as exc:
                if not is_outage(exc):
                    log.exception("the run feed's LISTEN connection failed")
                self._stop.wait(RECONNECT_S)

    def _wait(self, conn: psycopg.Connection[Any]) -> None:
        heard = [n.payload for n in conn.notifies(timeout=SWEEP_S, stop_after=1)]
        if not heard:
            self._wake_all()
            return
        heard.extend(n.payload for n in conn.notifies(timeout=0))
        runs = runs_named(heard)
        if runs is None:
            self._wake_all()
            return
        with self._lock:
            woken = [w for run_id in runs for w in self._watchers.get(run_id, ())]
        for watcher in woken:
            watcher.wake()

    def _wake_all(self) -> None:
        with self._lock:
            woken = [w for watchers in self._watchers.values() for w in watchers]
        for watcher in woken:
            watcher.wake()


def runs_named(payloads: list[str]) -> set[UUID] | None:
    """The runs the notifications name; None for "any run": an empty payload (too many to name),
    or one that is not a list of run ids (anyone may NOTIFY the channel: it must not stop the feed)."""
    runs: set[UUID] = set()
    for payload in payloads:
        if not payload:
            return None
        try:
            runs.update(UUID(run_id) for run_id in payload.split(","))
        except ValueError:
            log.warning("a notification on %s that names no runs: %.80r", feed_sql.EVENTS_CHANNEL, payload)
            return None
    return runs
