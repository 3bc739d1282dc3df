"""A private Kafka, PostgreSQL and Redis (deploy/stack.sh on other ports), for tests that stop them."""

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from harness.orchestrator import REPO
from harness.waiting import until


def free_port_run(count: int) -> int:
    """The first of `count` consecutive free ports (a Kafka cluster's brokers take two each), below
    the kernel's ephemeral range: a broker killed and started again must find its port free, and a
    port in that range may meanwhile be taken by any client's outgoing connection (it was, in
    `make chaos-ha`: "Address already in use")."""
    low = _ephemeral_low()
    for _ in range(200):
        base = random.randrange(low - 12000, low - count)
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {count} consecutive free ports")


class PrivateStack:
    """`security="sasl_ssl"`: its Kafka listens with SASL_SSL (deploy/kafka-security.sh); clients get
    the settings from `client_env()`."""

    def __init__(self, security: str = "plaintext", brokers: int = 1) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="legato-private-"))
        self.home.chmod(0o755)  # PostgreSQL runs as its own OS user when we are root
        # one run of ports below the ephemeral range: broker N at kafka_port + 2(N-1) (its controller
        # one above), then PostgreSQL, then Redis
        base = free_port_run(2 * brokers + 2)
        self.pg_port = base + 2 * brokers
        self.redis_port = base + 2 * brokers + 1
        self.kafka_port = base
        self.brokers = brokers
        self.env = {
            **os.environ,
            "LEGATO_HOME": str(self.home),
            "LEGATO_KAFKA_DIR": str(REPO / ".legato" / "kafka"),  # reuse the downloaded jars
            "PG_PORT": str(self.pg_port),
            "REDIS_PORT": str(self.redis_port),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(self.kafka_port + 1),
            "LEGATO_KAFKA_SECURITY": security,
            "LEGATO_KAFKA_BROKERS": str(brokers),
        }
        self.pg_url = f"postgresql://legato:legato@localhost:{self.pg_port}/legato"
        self.redis_url = f"redis://localhost:{self.redis_port}/0"
        self.kafka = ",".join(f"127.0.0.1:{self.kafka_port + 2 * n}" for n in range(brokers))

    def run(self, command: str, *services: str) -> None:
        done = subprocess.run(
            [str(REPO / "deploy" / "stack.sh"), command, *services],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"deploy/stack.sh {command} {' '.join(services)} failed ({done.returncode}):\n"
                f"{done.stdout[-2000:]}{done.stderr[-3000:]}"
            )

    def start(self, *services: str) -> None:
        self.run("start", *services)

    def stop(self, *services: str) -> None:
        self.run("stop", *services)

    def broker_pid(self, n: int) -> int:
        """The pid of broker `n` (1-based), as deploy/stack.sh recorded it."""
        name = "kafka" if n == 1 else f"kafka-{n}"
        return int((self.home / "run" / "stack" / f"{name}.pid").read_text().split()[0])

    def kill_broker(self, n: int) -> None:
        """kill -9 broker `n`; `start("kafka")` starts it again."""
        pid = self.broker_pid(n)
        os.kill(pid, signal.SIGKILL)
        until(lambda: _state(pid) == "Z", 10, f"broker {n} (pid {pid}) gone")

    def keep_logs(self, where: Path) -> None:
        """Copy its services' logs to `where` (before `destroy` deletes them)."""
        shutil.copytree(self.home / "logs", where, dirs_exist_ok=True)

    def destroy(self) -> None:
        """Stops its services and deletes everything it wrote (data, logs, configuration)."""
        try:
            self.run("clean")
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    def client_env(self) -> dict[str, str]:
        """The LEGATO_KAFKA_* settings deploy/stack.sh wrote for this stack (after `start("kafka")`)."""
        settings: dict[str, str] = {}
        for line in (self.home / "kafka-client.env").read_text().splitlines():
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                settings[name] = value
        return settings


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
    except (FileNotFoundError, IndexError):
        return "Z"
