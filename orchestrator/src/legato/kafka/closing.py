"""Closing librdkafka clients off the caller's thread.

Closing a consumer waits up to a second (librdkafka's threads wake on their own timers; measured
here: about 4 closes in 10 took 1.0 s, the rest 2 ms, with or without a group). A request that
read what it needed, or a reader that evicted a consumer, should not wait for that: a `Closer`
closes them on a thread of its own, in order. It holds at most `backlog` clients; beyond that the
caller closes one itself, so a burst is slowed, never piled up.
"""

import logging
import queue
import threading
from typing import Protocol

log = logging.getLogger(__name__)


class Closable(Protocol):
    def close(self) -> object: ...


class Closer:
    def __init__(self, name: str, backlog: int = 16) -> None:
        self._backlog = backlog
        self._waiting: queue.Queue[Closable | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._lock = threading.Lock()

    def close_later(self, client: Closable) -> None:
        with self._lock:
            if self._thread.ident is None:
                self._thread.start()  # on first use: a process that never closes one has no thread
        if self._waiting.qsize() < self._backlog:
            self._waiting.put(client)
        else:
            client.close()

    def stop(self) -> None:
        """Closes what waits, then ends the thread."""
        with self._lock:
            if self._thread.ident is None:
                return
        self._waiting.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (client := self._waiting.get()) is not None:
            try:
                client.close()
            except Exception as exc:  # the client is dropped either way; say why it did not close
                log.warning("closing a Kafka client failed: %r", exc)
