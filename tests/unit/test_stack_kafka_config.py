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


def _props(conf: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in conf.read_text().splitlines() if "=" in line)


def test_a_three_broker_cluster_replicates_three_times_and_acks_with_two(tmp_path: Path) -> None:
    """LEGATO_KAFKA_BROKERS=3: broker N on KAFKA_PORT + 2(N-1), all three controllers voters, every
    topic (Legato's are made with the cluster's defaults) with 3 replicas and min.insync.replicas 2,
    and the clients given every broker."""
    confs = [
        _props(Path(_bash(tmp_path, f"KAFKA_BROKERS=3; write_kafka_config {n}", "plaintext").stdout))
        for n in (1, 2, 3)
    ]
    voters = "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"
    assert [c["node.id"] for c in confs] == ["1", "2", "3"]
    assert {c["controller.quorum.voters"] for c in confs} == {voters}
    assert [c["advertised.listeners"] for c in confs] == [
        f"PLAINTEXT://{LAN_ADDRESS}:{port}" for port in (19092, 19094, 19096)
    ]
    assert len({c["log.dirs"] for c in confs}) == 3
    for conf in confs:
        assert conf["default.replication.factor"] == conf["offsets.topic.replication.factor"] == "3"
        assert conf["min.insync.replicas"] == conf["transaction.state.log.min.isr"] == "2"
    exported = _bash(tmp_path, "KAFKA_BROKERS=3; kafka_bootstrap_export", "plaintext").stdout
    servers = ",".join(f"{LAN_ADDRESS}:{port}" for port in (19092, 19094, 19096))
    assert exported == f"export LEGATO_KAFKA_BOOTSTRAP_SERVERS={servers}"


def test_one_broker_keeps_one_replica_and_its_old_storage(tmp_path: Path) -> None:
    conf = _props(Path(_bash(tmp_path, "write_kafka_config", "plaintext").stdout))
    assert conf["default.replication.factor"] == conf["min.insync.replicas"] == "1"
    assert conf["log.dirs"] == str(tmp_path / "data" / "kafka")
    assert _bash(tmp_path, "kafka_bootstrap_export", "plaintext").stdout == ""
