"""A TCP proxy in front of PostgreSQL that can lose the reply to one COMMIT.

Armed with a marker (bytes of a statement), the first connection that sends the marker and then a
COMMIT has that COMMIT delivered and executed, but the client never hears back: the proxy drops
the server's answer and closes the client's socket once the server has committed. That is the
ambiguous commit a network failure or a proxy restart produces.
"""

import contextlib
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class _Link:
    client: socket.socket
    server: socket.socket
    saw_marker: bool = False
    cut: bool = False


@dataclass
class CommitLosingProxy:
    target_port: int
    target_host: str = "127.0.0.1"
    marker: bytes | None = None
    commits_lost: int = 0
    _listener: socket.socket = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _links: list[_Link] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name="pg-proxy", daemon=True).start()

    def arm(self, marker: bytes) -> None:
        """Lose the reply to the next COMMIT of a transaction that sent `marker`."""
        with self._lock:
            self.marker = marker

    def close(self) -> None:
        self._listener.close()
        for link in self._links:
            for s in (link.client, link.server):
                _close(s)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection((self.target_host, self.target_port))
            link = _Link(client, server)
            self._links.append(link)
            threading.Thread(target=self._upstream, args=(link,), daemon=True).start()
            threading.Thread(target=self._downstream, args=(link,), daemon=True).start()

    def _upstream(self, link: _Link) -> None:
        while chunk := _recv(link.client):
            with self._lock:
                self._watch(link, chunk)
            try:
                link.server.sendall(chunk)
            except OSError:
                break
        _close(link.server)

    def _watch(self, link: _Link, chunk: bytes) -> None:
        if link.cut or self.marker is None:
            return
        at = chunk.find(self.marker)
        if at >= 0:
            link.saw_marker = True
        if link.saw_marker and b"COMMIT" in chunk[max(at, 0) :]:
            link.cut = True
            self.marker = None

    def _downstream(self, link: _Link) -> None:
        while chunk := _recv(link.server):
            if link.cut:
                if b"COMMIT\x00" in chunk or b"ROLLBACK\x00" in chunk:
                    with self._lock:
                        self.commits_lost += b"COMMIT\x00" in chunk
                    break  # the server is done with it; the client never hears
                continue
            try:
                link.client.sendall(chunk)
            except OSError:
                break
        _close(link.client)
        _close(link.server)


def _recv(s: socket.socket) -> bytes:
    try:
        return s.recv(65536)
    except OSError:
        return b""


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()
