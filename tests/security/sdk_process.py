"""An SDK's conformance run-worker as a process with the environment a test gives it."""

import os
import signal
import subprocess
from pathlib import Path

from harness.orchestrator import REPO, Orchestrator

LANGUAGES = ("python", "node", "java")
TOPIC_SETTINGS = ("LEGATO_JOBS_TOPIC", "LEGATO_RESULTS_TOPIC", "LEGATO_GROUP_PREFIX", "LEGATO_JOB_PARTITIONS")


def worker_env(orch: Orchestrator, language: str, **overrides: str) -> dict[str, str]:
    """The orchestrator's Kafka address, topics and security settings, for one worker."""
    env = {name: value for name, value in orch.env.items() if name.startswith("LEGATO_KAFKA_")}
    env.update({name: orch.env[name] for name in TOPIC_SETTINGS})
    env["LEGATO_WORKER_ID"] = f"secured-{language}"
    env["LEGATO_SHUTDOWN_TIMEOUT_MS"] = "5000"
    return {**env, **overrides}


class SdkWorker:
    def __init__(self, language: str, env: dict[str, str], log_dir: Path) -> None:
        self.language = language
        self.log_path = log_dir / f"{language}-worker.log"
        # The test's settings replace any LEGATO_* the test process itself was started with.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(REPO / f"worker-sdk-{language}" / "conformance" / "run-worker")],
                env={**inherited, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 30) -> str:
        return f"\n--- {self.language} worker log ({self.log_path}) ---\n" + "\n".join(
            self.log().splitlines()[-lines:]
        )

    def exit_code(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.exit_code(20) is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        return self.proc.returncode
