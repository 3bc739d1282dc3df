"""The environment the Helm chart gives each container, checked against the code that reads it.

`make lint-helm` (deploy/helm/lint.sh) runs this on every rendered chart. For each Deployment:

- orchestrator: every LEGATO_* variable is one `legato serve` reads (`legato.settings.variables()`,
  the Kafka security variables of `legato_protocol.kafka_security`, LEGATO_DASHBOARD_DIR), and
  `Settings.load()`, the LEGATO_AUTH policy for the host it binds, LEGATO_ALLOWED_HOSTS and
  `KafkaSecurity.from_env()` accept the values; it binds beyond loopback with keys required, on the
  port the container declares;
- workers: every LEGATO_* variable is one the Python SDK's `WorkerSettings.from_env()` reads (the
  Node and Java SDKs read the same names: docs/configuration.md, schemas/env/vectors.json), and it
  accepts the values; its metrics port is the container's `metrics` port.

A value taken from a Secret or the pod (`valueFrom`) stands as a placeholder: the chart has no
Secret. Variables other than LEGATO_* (JAVA_TOOL_OPTIONS, OTEL_*) are left to their readers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from legato.auth.browser import allowed_hosts
from legato.auth.policy import AuthMode, resolve
from legato.settings import Settings, SettingsError, variables
from legato_protocol import kafka_security
from legato_protocol.kafka_security import KafkaSecurity
from legato_worker import WorkerSettings

PLACEHOLDER = "from-a-secret"
# Read by the orchestrator outside its settings object (legato/api/ui.py).
ORCHESTRATOR_OTHERS = frozenset({"LEGATO_DASHBOARD_DIR"})
KAFKA_SECURITY = frozenset(
    {
        kafka_security.PROTOCOL_VAR,
        kafka_security.MECHANISM_VAR,
        kafka_security.USERNAME_VAR,
        kafka_security.PASSWORD_VAR,
        kafka_security.CA_FILE_VAR,
        kafka_security.CERT_FILE_VAR,
        kafka_security.KEY_FILE_VAR,
    }
)


class _Reads(dict[str, str]):
    """An environment that remembers which names were looked up."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


@contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    """os.environ with `env` as its only LEGATO_* variables, restored afterwards."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("LEGATO_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(env)
    try:
        yield
    finally:
        for name in env:
            os.environ.pop(name, None)
        os.environ.update(saved)


def _deployments(path: Path) -> Iterator[dict[str, Any]]:
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if isinstance(document, dict) and document.get("kind") == "Deployment":
            yield document


def _environment(container: dict[str, Any]) -> dict[str, str]:
    return {
        entry["name"]: str(entry["value"]) if "value" in entry else PLACEHOLDER
        for entry in container.get("env", [])
    }


def _port(container: dict[str, Any], name: str) -> int | None:
    for port in container.get("ports", []):
        if port.get("name") == name:
            return int(port["containerPort"])
    return None


def _unknown(env: dict[str, str], known: set[str] | frozenset[str]) -> list[str]:
    return sorted(name for name in env if name.startswith("LEGATO_") and name not in known)


def _orchestrator(env: dict[str, str], container: dict[str, Any]) -> list[str]:
    problems = [
        f"{name} is not read by legato serve"
        for name in _unknown(env, set(variables()) | KAFKA_SECURITY | ORCHESTRATOR_OTHERS)
    ]
    try:
        with _environ(env):
            settings = Settings.load()  # reads os.environ, as `legato serve` does
        mode = resolve(settings.api.auth, settings.api.host)
        allowed_hosts(settings.api.allowed_hosts)
        KafkaSecurity.from_env(env)
    except (SettingsError, ValueError) as exc:
        return [*problems, f"legato serve would refuse to start: {exc}"]
    if settings.api.host != "0.0.0.0" or mode is not AuthMode.REQUIRED:
        problems.append(f"binds {settings.api.host} with auth {mode.value}, not 0.0.0.0 with keys required")
    if _port(container, "http") != settings.api.port:
        problems.append(f"its port 'http' is not LEGATO_API_PORT ({settings.api.port})")
    return problems


def _worker(env: dict[str, str], container: dict[str, Any]) -> list[str]:
    reads = _Reads(env)
    try:
        settings = WorkerSettings.from_env(reads)
    except ValueError as exc:
        return [f"the worker would refuse to start: {exc}"]
    problems = [f"{name} is not read by the worker SDKs" for name in _unknown(env, reads.read)]
    if _port(container, "metrics") != settings.metrics_port:
        problems.append(f"its port 'metrics' is not LEGATO_METRICS_PORT ({settings.metrics_port})")
    if settings.metrics_port is not None and settings.metrics_host != "0.0.0.0":
        problems.append(f"its metrics server binds {settings.metrics_host}, out of Prometheus' reach")
    return problems


def check(path: Path) -> list[str]:
    problems: list[str] = []
    for deployment in _deployments(path):
        name = deployment["metadata"]["name"]
        component = deployment["metadata"]["labels"].get("app.kubernetes.io/component", "")
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            env = _environment(container)
            if component == "orchestrator":
                found = _orchestrator(env, container)
            elif component.startswith("worker-"):
                found = _worker(env, container)
            else:
                found = [f"component {component!r} is neither the orchestrator nor a worker"]
            problems.extend(
                f"{path.name}: Deployment {name}, container {container['name']}: {p}" for p in found
            )
    return problems


def main(paths: list[str]) -> int:
    problems = [problem for path in paths for problem in check(Path(path))]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
