"""Every Kafka client of the project through a SASL_SSL listener (SCRAM-SHA-512, generated CA).

The orchestrator and one worker of each SDK connect with the LEGATO_KAFKA_* settings the stack
writes to kafka-client.env; a workflow completes through each. A wrong password is a clear,
bounded failure, and the password appears in no log.
"""

import subprocess
from pathlib import Path

import httpx
import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from sdk_process import LANGUAGES, SdkWorker, worker_env

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import REPO, Orchestrator
from harness.private_stack import PrivateStack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "LEGATO_KAFKA_SASL_PASSWORD"
FAILURE_DEADLINE_S = 90


def test_stack_writes_sasl_ssl_client_settings(secured_stack: PrivateStack) -> None:
    env = secured_stack.client_env()
    assert env["LEGATO_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["LEGATO_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert env["LEGATO_KAFKA_SASL_USERNAME"]
    assert len(env[PASSWORD]) >= 32
    assert Path(env["LEGATO_KAFKA_SSL_CA_FILE"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert (secured_stack.home / "kafka-client.env").stat().st_mode & 0o077 == 0, "readable by others"


def test_the_controller_listens_on_loopback_only(secured_stack: PrivateStack) -> None:
    conf = (secured_stack.home / "conf" / "kafka.properties").read_text().splitlines()
    props = dict(line.split("=", 1) for line in conf if "=" in line and not line.startswith("#"))
    controller = [item for item in props["listeners"].split(",") if item.startswith("CONTROLLER://")]
    assert controller == [f"CONTROLLER://127.0.0.1:{secured_stack.env['KAFKA_CONTROLLER_PORT']}"]
    assert props["controller.quorum.voters"] == f"1@127.0.0.1:{secured_stack.env['KAFKA_CONTROLLER_PORT']}"
    assert props["listener.security.protocol.map"].startswith("CONTROLLER:PLAINTEXT,")


def test_no_secret_on_a_command_line(secured_stack: PrivateStack, command_lines: Path) -> None:
    """Every java and openssl the stack ran (the storage format included), and every process
    running now: none had the SCRAM or the key password among its arguments."""
    secrets = [
        secured_stack.client_env()[PASSWORD],
        (secured_stack.home / "kafka-tls" / "broker-key.password").read_text().strip(),
    ]
    runs = [line.split("\0") for line in command_lines.read_text().splitlines()]
    assert any("kafka.Kafka" in run for run in runs), "the broker's start was not recorded"
    formats = [run for run in runs if any(arg.startswith("@") for arg in run)]
    assert formats, "the storage format was not recorded"
    now = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            now.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:  # the process ended meanwhile
            continue
    for secret in secrets:
        assert not [run for run in runs if any(secret in arg for arg in run)]
        assert not [line for line in now if secret in line]


def test_plaintext_clients_are_refused(secured_stack: PrivateStack) -> None:
    admin = AdminClient({"bootstrap.servers": secured_stack.kafka, "socket.timeout.ms": 3000})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=5)


def test_the_running_mode_is_not_switched_behind_its_clients(secured_stack: PrivateStack) -> None:
    done = subprocess.run(
        [str(REPO / "deploy" / "stack.sh"), "start", "kafka"],
        env={**secured_stack.env, "LEGATO_KAFKA_SECURITY": "plaintext"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "kafka is running with sasl_ssl, not plaintext" in done.stderr, done.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_workflow_completes_through_sasl_ssl(
    secured_orchestrator: Orchestrator, language: str, tmp_path: Path
) -> None:
    orch = secured_orchestrator
    worker = SdkWorker(language, worker_env(orch, language), tmp_path)
    try:
        with httpx.Client(base_url=orch.url, timeout=30) as api:
            wid = unique(f"secured-{language}")
            define(api, {"id": wid, "steps": [{"action": "echo", "stepIndex": 0}]})
            run = wait_run(api, trigger(api, wid, {"over": "sasl_ssl"}), timeout=90)
        assert run["status"] == "COMPLETED", f"{run}{worker.tail()}"
        assert run["output"] == {"echo": {"over": "sasl_ssl"}, "sdk": language}
    finally:
        code = worker.stop()
    assert code == 0, f"exit code after SIGTERM{worker.tail()}"
    password = orch.env[PASSWORD]
    assert password not in worker.log(), "the SASL password was logged by the worker"
    assert password not in orch.log_path.read_text(errors="replace"), "the password was logged"


def test_orchestrator_with_a_wrong_password_exits_with_a_clear_error(
    secured_stack: PrivateStack, tmp_path: Path
) -> None:
    env = {**secured_stack.client_env(), PASSWORD: "not-the-password"}
    orch = Orchestrator(tmp_path, kafka=secured_stack.kafka, **env)
    try:
        with pytest.raises(RuntimeError, match="legato serve exited"):
            orch.start(timeout=FAILURE_DEADLINE_S)
        log = orch.log_path.read_text(errors="replace")
        assert "Authentication failed" in log or "authentication" in log.lower(), log[-3000:]
        assert "not-the-password" not in log
    finally:
        orch.drop()


@pytest.mark.parametrize("language", LANGUAGES)
def test_worker_with_a_wrong_password_fails_clearly(
    secured_orchestrator: Orchestrator, language: str, tmp_path: Path
) -> None:
    env = worker_env(secured_orchestrator, language, **{PASSWORD: "not-the-password"})
    worker = SdkWorker(language, env, tmp_path)
    try:
        code = worker.exit_code(FAILURE_DEADLINE_S)
        assert code is not None, f"still running {FAILURE_DEADLINE_S} s with a wrong password{worker.tail()}"
        assert code != 0, f"exit code {code}{worker.tail()}"
        assert "authentic" in worker.log().lower(), f"no word of authentication{worker.tail()}"
        assert "not-the-password" not in worker.log()
    finally:
        worker.stop()
