"""The `api` fixture: a ScriptedApi serving on 127.0.0.1 for one test."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from scripted_api import ScriptedApi


@pytest.fixture
def api() -> Iterator[ScriptedApi]:
    server = ScriptedApi()
    thread = threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        for release in server.releases:
            release.set()
        server.server.shutdown()
        server.server.server_close()
        thread.join()
