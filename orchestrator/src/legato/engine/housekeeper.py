"""The engine's housekeeping thread: the scheduler's tick and what notifications ask for, apart from
the results loop (engine.loop), so a result batch never waits behind them.

The tick (engine.housekeeping: deadlines, timers, children, concurrency slots, the outbox relay,
withdrawals, the reconcile cadence) is several transactions; on the results loop, between batches,
a result arriving during one waited for all of it. Here it runs every `LEGATO_SCHEDULER_INTERVAL_MS`,
and at once when woken: a notification (engine.notifications: a wake-up, withdrawals, jobs that may
be throttled) or a result batch that freed slots of limited actions.

What it does was already safe beside the results loop: several orchestrators run both at once, on
the same rows (every claim is a row lock or SKIP LOCKED, the jobs outbox is leased), and the
notifications thread relays the outbox beside both.
"""

import threading
import time

from legato.engine.health import Health
from legato.engine.housekeeping import Housekeeping
from legato.store import engine_sql
from legato.workflow.limits import LIMITED

LOOP = "housekeeping"


class Housekeeper:
    def __init__(
        self, housekeeping: Housekeeping, health: Health, interval_s: float, stop: threading.Event
    ) -> None:
        self._housekeeping = housekeeping
        self._health = health
        self._interval_s = interval_s
        self._stop = stop
        self._lock = threading.Lock()
        self._heard: set[str] = set()
        self._admit = False
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="legato-housekeeping", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._wake.set()  # out of its wait, to see the stop
        self._thread.join(timeout)

    def heard(self, channels: set[str] | frozenset[str]) -> None:
        """Notified on these channels (engine.notifications' thread)."""
        with self._lock:
            self._heard |= channels
        self._wake.set()

    def admit_now(self) -> None:
        """A result batch freed slots: admit throttled jobs without waiting for the tick."""
        with self._lock:
            self._admit = True
        self._wake.set()

    def _run(self) -> None:
        next_tick = 0.0
        until_done = self._health.until_done
        while not self._stop.is_set():
            self._wake.wait(max(0.0, next_tick - time.monotonic()))
            self._wake.clear()
            with self._lock:
                channels, self._heard = self._heard, set()
                admit, self._admit = self._admit, False
            if self._stop.is_set():
                return
            if (admit or engine_sql.JOBS_CHANNEL in channels) and LIMITED.known():  # relayed already
                until_done(LOOP, self._housekeeping.admit)
            if engine_sql.WITHDRAWALS_CHANNEL in channels:
                until_done(LOOP, self._housekeeping.withdraw)
            now = time.monotonic()
            if now >= next_tick or engine_sql.WAKE_CHANNEL in channels:
                until_done(LOOP, self._housekeeping.tick)
                next_tick = now + self._interval_s
