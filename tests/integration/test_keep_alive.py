"""An idle keep-alive connection outlives the pools of common HTTP clients (legato.cli.serve,
KEEP_ALIVE_S): a client that sends its next request on a connection idle for 6 s gets its answer,
instead of racing the server's close ("server disconnected")."""

import socket
import time
from urllib.parse import urlsplit

import pytest

from harness.orchestrator import Orchestrator

pytestmark = pytest.mark.integration

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: legato\r\n\r\n"


def _answer(conn: socket.socket) -> bytes:
    """One whole response (status line, headers and its Content-Length of body); what came before
    the server closed the connection, if it did."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
    length = int(fields.get(b"content-length", b"0"))
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_a_connection_idle_past_five_seconds_still_answers(orchestrator: Orchestrator) -> None:
    where = urlsplit(orchestrator.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
        conn.sendall(REQUEST)
        assert _answer(conn).startswith(b"HTTP/1.1 200")
        time.sleep(6)  # idle on purpose: longer than uvicorn's default keep-alive (5 s)
        conn.sendall(REQUEST)
        assert _answer(conn).startswith(b"HTTP/1.1 200")
