"""What the engine is told through PostgreSQL's LISTEN/NOTIFY, heard the moment it is sent.

A thread of its own blocks on the LISTEN connection, so a trigger's jobs are published as soon as
its transaction commits (the API writes them to the outbox and NOTIFYs `legato_jobs`) instead of
waiting for the engine's loop to come round between result batches. That thread relays the outbox
itself (`relay`: the lease is SKIP LOCKED, so it and the scheduler's tick never take the same job);
every channel heard is also handed to the engine's loop, which takes them with `take()` between
batches (withdrawals, wake-ups, and the admission of throttled jobs the notified write made).

While the connection is down nothing is heard: the scheduler's tick still relays due jobs and
publishes withdrawals, and on reconnecting every channel counts as notified (some may have been
missed).
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from legato.faults import is_outage
from legato.store import engine_sql

log = logging.getLogger(__name__)

ALL_CHANNELS = frozenset({engine_sql.JOBS_CHANNEL, engine_sql.WITHDRAWALS_CHANNEL, engine_sql.WAKE_CHANNEL})
WAIT_S = 1.0  # how often the thread looks up from its wait to see whether the engine stops
RECONNECT_S = 1.0


class Notifications:
    def __init__(self, database_url: str, relay: Callable[[], None], stop: threading.Event) -> None:
        self._url = database_url
        self._relay = relay
        self._stop = stop
        self._lock = threading.Lock()
        self._heard: set[str] = set()
        self._thread = threading.Thread(target=self._listen, name="legato-notifications", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def take(self) -> set[str]:
        """The channels notified since the last call. Never blocks."""
        with self._lock:
            heard, self._heard = self._heard, set()
        return heard

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    conn.execute(engine_sql.LISTEN)
                    self._heard_on(ALL_CHANNELS)  # some may have been sent while we were not listening
                    while not self._stop.is_set():
                        self._heard_on(self._wait(conn))
            except psycopg.Error as exc:
                if not is_outage(exc):
                    log.exception("LISTEN connection failed")
                self._stop.wait(RECONNECT_S)

    @staticmethod
    def _wait(conn: psycopg.Connection[Any]) -> set[str]:
        """Block until a notification (or WAIT_S), then take every one already queued."""
        channels = {n.channel for n in conn.notifies(timeout=WAIT_S, stop_after=1)}
        if channels:
            channels.update(n.channel for n in conn.notifies(timeout=0))
        return channels

    def _heard_on(self, channels: set[str] | frozenset[str]) -> None:
        if engine_sql.JOBS_CHANNEL in channels:
            try:
                self._relay()
            except Exception as exc:  # the scheduler's tick relays them; never stop listening
                if is_outage(exc):
                    log.warning("relaying the outbox on notification failed (the tick will): %s", exc)
                else:
                    log.exception("relaying the outbox on notification failed (the tick will)")
        if channels:
            with self._lock:
                self._heard |= channels
