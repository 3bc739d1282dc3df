"""A private Kafka, PostgreSQL and Redis (deploy/stack.sh on other ports), for tests that stop them."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.orchestrator import REPO, free_port


class PrivateStack:
    """`security="sasl_ssl"`: its Kafka listens with SASL_SSL (deploy/kafka-security.sh); clients get
    the settings from `client_env()`."""

    def __init__(self, security: str = "plaintext") -> None:
        self.home = Path(tempfile.mkdtemp(prefix="legato-private-"))
        self.home.chmod(0o755)  # PostgreSQL runs as its own OS user when we are root
        self.pg_port = free_port()
        self.redis_port = free_port()
        self.kafka_port = free_port()
        self.env = {
            **os.environ,
            "LEGATO_HOME": str(self.home),
            "LEGATO_KAFKA_DIR": str(REPO / ".legato" / "kafka"),  # reuse the downloaded jars
            "PG_PORT": str(self.pg_port),
            "REDIS_PORT": str(self.redis_port),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "LEGATO_KAFKA_SECURITY": security,
        }
        self.pg_url = f"postgresql://legato:legato@localhost:{self.pg_port}/legato"
        self.redis_url = f"redis://localhost:{self.redis_port}/0"
        self.kafka = f"127.0.0.1:{self.kafka_port}"

    def run(self, command: str, *services: str) -> None:
        subprocess.run(
            [str(REPO / "deploy" / "stack.sh"), command, *services],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, *services: str) -> None:
        self.run("start", *services)

    def stop(self, *services: str) -> None:
        self.run("stop", *services)

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
