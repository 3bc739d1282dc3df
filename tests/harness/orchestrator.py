"""Run `legato serve` as a real process on its own database, topics and Redis db."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

from harness.services import KAFKA, PG_URL, REDIS_HOST, REDIS_PORT
from harness.waiting import until
from legato_protocol.kafka_security import KafkaSecurity

REPO = Path(__file__).resolve().parents[2]
LEGATO = Path(sys.executable).parent / "legato"
LOGS = REPO / ".legato" / "logs" / "tests"  # every test orchestrator's log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Orchestrator:
    """One isolated Legato: fresh database, unique topic prefixes, its own Redis db."""

    def __init__(
        self,
        log_dir: Path,
        redis_url: str | None = None,
        pg_url: str = PG_URL,
        kafka: str = KAFKA,
        **extra_env: str,
    ) -> None:
        self.tag = f"t{uuid.uuid4().hex[:8]}"
        self.database = f"legato_{self.tag}"
        self.pg_url = pg_url
        base, _, _ = pg_url.rpartition("/")
        self.database_url = f"{base}/{self.database}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"orchestrator-{self.tag}.log"
        self.env = {
            "LEGATO_API_PORT": str(self.port),
            "LEGATO_DATABASE_URL": self.database_url,
            "LEGATO_REDIS_URL": redis_url or f"redis://{REDIS_HOST}:{REDIS_PORT}/15",
            "LEGATO_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "LEGATO_JOBS_TOPIC": f"{self.tag}-jobs",
            "LEGATO_RESULTS_TOPIC": f"{self.tag}-results",
            "LEGATO_CONTROL_TOPIC": f"{self.tag}-control",
            "LEGATO_GROUP_PREFIX": f"{self.tag}-workers",
            "LEGATO_ORCHESTRATOR_GROUP": f"{self.tag}-orchestrator",
            "LEGATO_JOB_PARTITIONS": "3",
            "LEGATO_SCHEDULER_INTERVAL_MS": "100",
            **extra_env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def twin(self) -> "Orchestrator":
        """A second `legato serve` on the same database, topics and groups (stop it; never drop)."""
        other = object.__new__(Orchestrator)
        other.__dict__.update(self.__dict__)
        other.port = free_port()
        other.url = f"http://127.0.0.1:{other.port}"
        other.log_path = self.log_path.with_name(f"orchestrator-{self.tag}-twin-{other.port}.log")
        other.env = {**self.env, "LEGATO_API_PORT": str(other.port)}
        other.process = None
        return other

    def start(self, timeout: float = 60) -> None:
        with self.log_path.open("ab") as log:
            self.process = self._spawn(log)
        try:
            self._await_ready(timeout)
        except BaseException:
            self.stop()  # never leave a half-started orchestrator (and its engine) running
            raise

    def _spawn(self, log: Any) -> "subprocess.Popen[bytes]":
        return subprocess.Popen(
            [str(LEGATO), "serve"],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )

    def _await_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"legato serve exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"legato serve not ready in {timeout}s: {self.log_tail()}")

    def kill(self) -> None:
        """kill -9: no chance to flush or commit anything."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def freeze(self, frozen: bool, only: str | None = None) -> None:
        """SIGSTOP (or SIGCONT) `legato serve` and its engine process: alive, a group member whose
        session has not expired yet, and reading nothing (a lagging orchestrator). `only`: just the
        child process of that name (legato.supervision: legato-engine, legato-intake)."""
        assert self.process is not None
        sig = signal.SIGSTOP if frozen else signal.SIGCONT
        pids = [self.process.pid, *_children(self.process.pid)]
        if only is not None:
            pids = [pid for pid in pids[1:] if _comm(pid) == only]
            assert pids, f"no {only} process under the orchestrator"
        for pid in pids:
            os.kill(pid, sig)
        if frozen:  # a signal is delivered asynchronously: return once every process is stopped
            until(lambda: all(_stopped(pid) for pid in pids), 10, "the orchestrator's processes stopped")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def drop(self) -> None:
        self.stop()
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def kafka_config(self) -> dict[str, Any]:
        """librdkafka settings for a test's own Kafka client: this orchestrator's brokers, reached
        with the same LEGATO_KAFKA_* security settings (PLAINTEXT unless the stack is secured)."""
        security = KafkaSecurity.from_env({**os.environ, **self.env})
        return {
            "bootstrap.servers": self.env["LEGATO_KAFKA_BOOTSTRAP_SERVERS"],
            **security.librdkafka_config(),
        }

    def sql_script(self, script: str) -> None:
        """Run statements (DDL) in the orchestrator's database."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(script.encode())

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _comm(pid: int) -> str | None:
    """The process's name (its comm in /proc/PID/stat), or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.index("(") + 1 : stat.rindex(")")]


def _stopped(pid: int) -> bool:
    """Whether the process is stopped by a signal (state T in /proc/PID/stat), or gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "Tt"
