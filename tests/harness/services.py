"""Where the stack is, and a check that it answers (fail in CI, skip on a laptop)."""

import os
import socket

import pytest

KAFKA = os.environ.get("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
PG_URL = os.environ.get("LEGATO_DATABASE_URL", "postgresql://legato:legato@localhost:5432/legato")
REDIS_HOST = os.environ.get("LEGATO_TEST_REDIS_HOST", "localhost")
REDIS_PORT = int(os.environ.get("LEGATO_TEST_REDIS_PORT", "6379"))


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_stack() -> None:
    kafka_host, _, kafka_port = KAFKA.split(",")[0].rpartition(":")
    pg_port = int(PG_URL.rsplit(":", 1)[1].split("/")[0])
    missing = [
        name
        for name, host, port in (
            ("Kafka", kafka_host, int(kafka_port)),
            ("PostgreSQL", "localhost", pg_port),
            ("Redis", REDIS_HOST, REDIS_PORT),
        )
        if not _reachable(host, port)
    ]
    if missing:
        message = f"{', '.join(missing)} not reachable: run `deploy/stack.sh start` (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
