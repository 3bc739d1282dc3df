"""What deploy/stack.sh writes for Kafka, read without starting it (the script sourced in bash):
the KRaft controller listens on loopback whatever LEGATO_BIND_HOST says, and the storage format
gets the SCRAM password in an argument file, not on its command line."""

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "deploy" / "stack.sh"
PASSWORD = "0123456789abcdef-scram-password"
LAN_ADDRESS = "192.0.2.10"  # TEST-NET-1: a non-loopback address, as a LAN IP would be


def _bash(home: Path, script: str, security: str) -> subprocess.CompletedProcess[str]:
    """`script` after sourcing deploy/stack.sh for a stack in `home` bound to a LAN address."""
    tls = home / "kafka-tls"
    tls.mkdir(parents=True, exist_ok=True)
    (tls / "scram-legato.password").write_text(PASSWORD + "\n")
    (tls / "broker-key.password").write_text("key-password\n")
    (home / "conf").mkdir(exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "LEGATO_HOME": str(home),
        "LEGATO_BIND_HOST": LAN_ADDRESS,
        "KAFKA_PORT": "19092",
        "KAFKA_CONTROLLER_PORT": "19093",
    }
    return subprocess.run(
        ["bash", "-c", f'. "{STACK}"; KAFKA_SECURITY={security}; {script}'],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )


@pytest.mark.parametrize("security", ["plaintext", "sasl_ssl"])
def test_the_controller_listens_on_loopback_only(tmp_path: Path, security: str) -> None:
    conf = Path(_bash(tmp_path, "write_kafka_config", security).stdout)
    props = dict(line.split("=", 1) for line in conf.read_text().splitlines() if "=" in line)
    listeners = dict(item.split("://") for item in props["listeners"].split(","))
    assert listeners["CONTROLLER"] == "127.0.0.1:19093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert f"{LAN_ADDRESS}:19092" in props["listeners"]  # the broker's own listener: the bind host
    assert conf.stat().st_mode & 0o077 == 0  # it holds the SCRAM and key passwords in sasl_ssl mode


def test_the_format_gets_the_scram_password_in_a_file_not_on_its_command_line(tmp_path: Path) -> None:
    """kafka_java is replaced by a function that records its arguments and the argument file's text."""
    record = tmp_path / "record"
    script = f"""
kafka_java() {{ printf '%s\\n' "$@" >"{record}.argv"; cat "${{1#@}}" >"{record}.file";
  stat -c %a "${{1#@}}" >"{record}.mode"; }}
kafka_format_args | kafka_java_secret kafka.tools.StorageTool format -t CLUSTER -c "/x y/kafka.properties"
ls "$LEGATO_CONF"
"""
    left = _bash(tmp_path, script, "sasl_ssl").stdout.split()
    argv = (tmp_path / "record.argv").read_text().split("\n")
    assert len(argv) == 2 and argv[0].startswith("@")  # one argument: @<file>
    assert PASSWORD not in (tmp_path / "record.argv").read_text()
    assert (tmp_path / "record.file").read_text().splitlines() == [
        '"kafka.tools.StorageTool"',
        '"format"',
        '"-t"',
        '"CLUSTER"',
        '"-c"',
        '"/x y/kafka.properties"',
        '"--add-scram"',
        f'"SCRAM-SHA-512=[name=legato,password={PASSWORD}]"',
    ]
    assert (tmp_path / "record.mode").read_text().strip() == "600"
    assert left == []  # the argument file is gone
