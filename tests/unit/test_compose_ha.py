"""docker-compose.ha.yml (3 Kafka brokers, 2 orchestrators) over docker-compose.yml, read without
Docker: the two files are merged here as `docker compose -f docker-compose.yml -f docker-compose.ha.yml`
merges them (the Compose Specification's merge rules, for the attributes these files use), then the
merged model and the one-broker default are checked: every dependency defined, no host port bound
twice, one KRaft cluster of three voters, every Kafka client bootstrapping from the three brokers,
and kafka-init's script, run with a stand-in for kafka-topics.sh, creating its topics at the brokers'
default replication factor."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "docker-compose.yml"
HA = REPO / "docker-compose.ha.yml"
LOCAL_STACK_DOC = REPO / "docs" / "local-stack.md"

BROKERS = ("kafka", "kafka-2", "kafka-3")
BOOTSTRAP = "kafka:9092,kafka-2:9092,kafka-3:9092"
ORCHESTRATOR_IMAGE = "legato/orchestrator:dev"
# The broker settings the three-broker layout may change from docker-compose.yml's `kafka`.
QUORUM_AND_REPLICATION = {
    "KAFKA_CONTROLLER_QUORUM_VOTERS",
    "KAFKA_BROKER_SESSION_TIMEOUT_MS",  # a dead broker fenced before a consumer session expires
    "KAFKA_BROKER_HEARTBEAT_INTERVAL_MS",
    "KAFKA_DEFAULT_REPLICATION_FACTOR",
    "KAFKA_MIN_INSYNC_REPLICAS",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
}
PER_BROKER = {"KAFKA_NODE_ID", "KAFKA_ADVERTISED_LISTENERS"}
# The Kafka clients: kafka-init, the orchestrators and the example workers.
KAFKA_CLIENTS = {
    "kafka-init",
    "orchestrator",
    "orchestrator-2",
    "worker-python",
    "worker-node",
    "worker-java",
}

Service = dict[str, Any]


# ---- the merge (docs.docker.com/reference/compose-file/merge) -----------------------------------


def environment(service: Service) -> dict[str, str]:
    """A service's environment as a mapping of strings (it may be written as a list of NAME=value)."""
    value = service.get("environment") or {}
    if isinstance(value, list):
        value = dict(item.split("=", 1) if "=" in item else (item, "") for item in value)
    return {name: "" if v is None else str(v) for name, v in value.items()}


def depends_on(service: Service) -> dict[str, dict[str, Any]]:
    value = service.get("depends_on") or {}
    if isinstance(value, list):
        return {name: {"condition": "service_started"} for name in value}
    return dict(value)


def port_key(port: str) -> tuple[str, str, str, str]:
    """{ip, target, published, protocol}: what makes a port entry unique ("127.0.0.1:9094:19092")."""
    assert isinstance(port, str), f"only the short port syntax is read here: {port!r}"
    mapping, _, protocol = port.partition("/")
    parts = mapping.split(":")
    ip, published, target = ([""] * (3 - len(parts)) + parts) if len(parts) < 3 else parts
    return ip, target, published, protocol or "tcp"


def volume_target(volume: str) -> str:
    return volume.split(":")[1]


def _unique(base: list[Any], override: list[Any], key: Any) -> list[Any]:
    merged = {key(item): item for item in base}
    merged.update({key(item): item for item in override})
    return list(merged.values())


def _merge_mapping(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for name, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(name), dict):
            out[name] = _merge_mapping(out[name], value)
        elif isinstance(value, list) and isinstance(out.get(name), list):
            out[name] = out[name] + value
        else:
            out[name] = value
    return out


def merge_service(base: Service, override: Service) -> Service:
    out = dict(base)
    for name, value in override.items():
        if name not in out or name in ("command", "entrypoint"):  # commands are replaced, not appended
            out[name] = value
        elif name == "environment":
            out[name] = {**environment(base), **environment(override)}
        elif name == "depends_on":
            merged = depends_on(base)
            for target, spec in depends_on(override).items():
                merged[target] = {**merged.get(target, {}), **spec}
            out[name] = merged
        elif name == "ports":
            out[name] = _unique(base[name], value, port_key)
        elif name == "volumes":
            out[name] = _unique(base[name], value, volume_target)
        elif name == "healthcheck":  # a mapping whose `test` is replaced
            out[name] = {**base[name], **value}
        elif isinstance(value, dict):
            out[name] = _merge_mapping(base[name], value)
        elif isinstance(value, list):
            out[name] = base[name] + value
        else:
            out[name] = value
    return out


def compose(*paths: Path) -> dict[str, Any]:
    """The model `docker compose -f A -f B ...` builds from these files (services and volumes)."""
    model: dict[str, Any] = {"services": {}, "volumes": {}}
    for path in paths:
        # PyYAML shares an aliased node (x-worker's environment) between services: copy before merging
        document = copy.deepcopy(yaml.safe_load(path.read_text()))
        for name, service in document.get("services", {}).items():
            known = model["services"].get(name)
            model["services"][name] = service if known is None else merge_service(known, service)
        model["volumes"].update(document.get("volumes") or {})
    return model


ONE_BROKER = compose(BASE)
THREE_BROKERS = compose(BASE, HA)
LAYOUTS = pytest.mark.parametrize("model", [ONE_BROKER, THREE_BROKERS], ids=["one-broker", "three-brokers"])


def test_the_merge_follows_compose_rules() -> None:
    base = {
        "command": ["a"],
        "environment": ["A=1", "B=2"],
        "ports": ["127.0.0.1:80:8080", "127.0.0.1:81:8081"],
        "volumes": ["x:/data", "./conf:/conf:ro"],
        "healthcheck": {"test": ["CMD", "a"], "interval": "5s"},
        "depends_on": ["db"],
        "profiles": ["p"],
    }
    override = {
        "command": ["b"],
        "environment": {"B": 3, "C": None},
        "ports": ["127.0.0.1:81:8081", "127.0.0.1:82:8080"],
        "volumes": ["y:/data"],
        "healthcheck": {"test": ["CMD", "b"]},
        "depends_on": {"db": {"condition": "service_healthy"}, "cache": {"condition": "service_started"}},
    }
    assert merge_service(base, override) == {
        "command": ["b"],
        "environment": {"A": "1", "B": "3", "C": ""},
        "ports": ["127.0.0.1:80:8080", "127.0.0.1:81:8081", "127.0.0.1:82:8080"],
        "volumes": ["y:/data", "./conf:/conf:ro"],
        "healthcheck": {"test": ["CMD", "b"], "interval": "5s"},
        "depends_on": {"db": {"condition": "service_healthy"}, "cache": {"condition": "service_started"}},
        "profiles": ["p"],
    }


# ---- both layouts -------------------------------------------------------------------------------


def builds_with_healthcheck(model: dict[str, Any], image: str) -> bool:
    """Whether the service that builds `image` builds it from a Dockerfile with a HEALTHCHECK."""
    for service in model["services"].values():
        if service.get("image") == image and "build" in service:
            build = service["build"]
            dockerfile = REPO / build["context"] / build.get("dockerfile", "Dockerfile")
            return re.search(r"^HEALTHCHECK ", dockerfile.read_text(), re.M) is not None
    return False


@LAYOUTS
def test_every_dependency_is_a_service_that_can_meet_its_condition(model: dict[str, Any]) -> None:
    services = model["services"]
    for name, service in services.items():
        for target, spec in depends_on(service).items():
            assert target in services, f"{name} depends on {target}, which is not defined"
            other = services[target]
            if spec.get("condition") == "service_healthy":
                healthcheck = "healthcheck" in other or builds_with_healthcheck(model, other["image"])
                assert healthcheck, f"{name} waits for {target} to be healthy: it has no healthcheck"
            if spec.get("condition") == "service_completed_successfully":
                assert other.get("restart") == "no", (name, target)


@LAYOUTS
def test_no_host_port_is_bound_twice(model: dict[str, Any]) -> None:
    bound: dict[tuple[str, str, str], str] = {}
    for name, service in model["services"].items():
        for port in service.get("ports", []):
            ip, _, published, protocol = port_key(port)
            assert ip == "127.0.0.1", (name, port)
            host = (ip, published, protocol)
            assert host not in bound, f"{name} and {bound.get(host)} both publish {port}"
            bound[host] = name


@LAYOUTS
def test_every_named_volume_is_declared(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith(("./", "/")):
                assert source in model["volumes"], (name, source)


def test_the_one_broker_default_is_one_broker() -> None:
    services = ONE_BROKER["services"]
    assert not {"kafka-2", "kafka-3", "orchestrator-2"} & services.keys()
    kafka = environment(services["kafka"])
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert kafka["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "1"
    assert kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert kafka["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "1"
    assert "KAFKA_MIN_INSYNC_REPLICAS" not in kafka  # Kafka's default: 1
    assert services["kafka"]["volumes"] == ["kafka-data:/var/lib/kafka/data"]
    clients = {n: bootstrap_of(s) for n, s in services.items() if bootstrap_of(s)}
    assert set(clients) >= KAFKA_CLIENTS - {"orchestrator-2"}
    assert set(clients.values()) == {"kafka:9092"}


# ---- three brokers ------------------------------------------------------------------------------


def bootstrap_of(service: Service) -> str | None:
    return environment(service).get("LEGATO_KAFKA_BOOTSTRAP_SERVERS")


def broker_environments() -> dict[str, dict[str, str]]:
    return {name: environment(THREE_BROKERS["services"][name]) for name in BROKERS}


def test_every_kafka_client_bootstraps_from_the_three_brokers() -> None:
    services = THREE_BROKERS["services"]
    clients = {n: bootstrap_of(s) for n, s in services.items() if bootstrap_of(s)}
    assert set(clients) >= KAFKA_CLIENTS
    for name, servers in clients.items():
        assert sorted(str(servers).split(",")) == sorted(BOOTSTRAP.split(",")), (name, servers)
    for name, service in services.items():  # whoever waits for a broker waits for the three
        waits_for = depends_on(service).keys() & set(BROKERS)
        assert waits_for in (set(), set(BROKERS)), (name, waits_for)


def test_the_three_brokers_are_one_cluster_of_three_voters() -> None:
    services = THREE_BROKERS["services"]
    brokers = broker_environments()
    voters = {env["KAFKA_CONTROLLER_QUORUM_VOTERS"] for env in brokers.values()}
    assert len(voters) == 1, voters
    quorum = [f"{env['KAFKA_NODE_ID']}@{services[n]['hostname']}:9093" for n, env in brokers.items()]
    assert voters == {",".join(quorum)}
    assert sorted(env["KAFKA_NODE_ID"] for env in brokers.values()) == ["1", "2", "3"]
    assert {services[n]["hostname"] for n in BROKERS} == set(BROKERS)
    one_broker_cluster = environment(ONE_BROKER["services"]["kafka"])["CLUSTER_ID"]
    assert {env["CLUSTER_ID"] for env in brokers.values()} == {one_broker_cluster}
    for name, env in brokers.items():
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller", name
        assert services[name]["image"] == ONE_BROKER["services"]["kafka"]["image"], name


def test_replication_three_and_two_in_sync() -> None:
    for name, env in broker_environments().items():
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3", name
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2", name
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3", name
        assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "3", name
        assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "2", name


def test_the_brokers_keep_the_one_broker_settings_otherwise() -> None:
    one = environment(ONE_BROKER["services"]["kafka"])
    for name, env in broker_environments().items():
        changed = {k for k in one.keys() | env.keys() if one.get(k) != env.get(k)}
        assert changed <= QUORUM_AND_REPLICATION | PER_BROKER, (name, changed - QUORUM_AND_REPLICATION)
    assert broker_environments()["kafka"]["KAFKA_ADVERTISED_LISTENERS"] == one["KAFKA_ADVERTISED_LISTENERS"]


def test_each_broker_has_its_data_volume_and_its_host_port() -> None:
    services = THREE_BROKERS["services"]
    sources = set()
    host_ports = []
    for name, env in broker_environments().items():
        service = services[name]
        data = [v for v in service["volumes"] if volume_target(v) == env["KAFKA_LOG_DIRS"]]
        assert len(data) == 1, (name, service["volumes"])
        sources.add(data[0].split(":")[0])
        listeners = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
        assert listeners["PLAINTEXT"] == f"{service['hostname']}:9092", name
        host, port = listeners["PLAINTEXT_HOST"].split(":")
        assert host == "localhost", name
        bound = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
        assert f"127.0.0.1:{port}:{bound['PLAINTEXT_HOST'].rsplit(':', 1)[1]}" in service["ports"], name
        host_ports.append(port)
        assert f"--bootstrap-server {service['hostname']}:9092 " in service["healthcheck"]["test"][1], name
    assert sources == {"kafka-1-data", "kafka-2-data", "kafka-3-data"}
    assert host_ports == ["9092", "9094", "9096"]


def test_two_orchestrators_share_one_database() -> None:
    services = THREE_BROKERS["services"]
    orchestrators = {n: s for n, s in services.items() if s.get("image") == ORCHESTRATOR_IMAGE}
    assert set(orchestrators) == {"orchestrator", "orchestrator-2"}
    first, second = orchestrators["orchestrator"], orchestrators["orchestrator-2"]
    assert environment(second) == environment(first)  # same database, Redis, brokers and settings
    assert depends_on(second) == depends_on(first)
    assert second.get("restart") == first.get("restart")
    assert "build" in first and "build" not in second  # one build, one image for both
    assert [port_key(p)[2] for p in first["ports"] + second["ports"]] == ["8080", "8081"]
    # static members of the triggers' consumer groups: host name and API port must differ
    identity = {
        (s["hostname"], environment(s).get("LEGATO_API_PORT", "8080")) for s in orchestrators.values()
    }
    assert len(identity) == 2


# ---- kafka-init's script, run with a stand-in for kafka-topics.sh -------------------------------

STAND_IN = """#!/bin/bash
if [ -n "$FAIL_ONCE" ] && [ ! -e "$FAIL_ONCE" ]; then : >"$FAIL_ONCE"; exit 1; fi
printf '%s ' "$@" >>"$RECORD"; echo >>"$RECORD"
"""


def run_kafka_init(model: dict[str, Any], tmp_path: Path, fail_once: bool = False) -> list[str]:
    """The calls kafka-init makes to kafka-topics.sh (one line of arguments each)."""
    service = model["services"]["kafka-init"]
    assert service["entrypoint"] == ["/bin/bash", "-c"]
    script = service["command"][0]
    assert "$" not in script.replace("$$", ""), "a lone $ is interpolated by compose from the host"
    tool = tmp_path / "kafka-topics.sh"
    tool.write_text(STAND_IN)
    tool.chmod(0o755)
    record = tmp_path / "calls"
    env = {**environment(service), "PATH": "/usr/bin:/bin", "RECORD": str(record)}
    if fail_once:
        env["FAIL_ONCE"] = str(tmp_path / "failed")
    script = script.replace("$$", "$").replace("/opt/kafka/bin/kafka-topics.sh", str(tool))
    subprocess.run(["bash", "-c", "sleep() { :; }\n" + script], env=env, check=True, timeout=30)
    return record.read_text().splitlines()


@pytest.mark.parametrize(
    ("model", "bootstrap"), [(ONE_BROKER, "kafka:9092"), (THREE_BROKERS, BOOTSTRAP)], ids=["one", "three"]
)
def test_kafka_init_creates_its_topics_at_the_brokers_default_replication(
    model: dict[str, Any], bootstrap: str, tmp_path: Path
) -> None:
    calls = run_kafka_init(model, tmp_path)
    prefix = f"--bootstrap-server {bootstrap} --create --if-not-exists "
    assert calls == [
        prefix + "--topic workflow-results --partitions 6 ",
        prefix + "--topic workflow-jobs.DLT --partitions 1 ",
        prefix + "--topic workflow-results.DLT --partitions 1 ",
        prefix + "--topic workflow-control --partitions 1 --config retention.ms=86400000 ",
    ]  # no --replication-factor: the brokers' default.replication.factor (1, or 3)
    waits_for = set(depends_on(model["services"]["kafka-init"]))
    assert waits_for == ({"kafka"} if model is ONE_BROKER else set(BROKERS))


def test_kafka_init_tries_a_topic_again(tmp_path: Path) -> None:
    calls = run_kafka_init(THREE_BROKERS, tmp_path, fail_once=True)
    assert len(calls) == 4
    assert "--topic workflow-results " in calls[0]


# ---- the documentation --------------------------------------------------------------------------


def test_the_docs_give_the_command_and_the_published_ports() -> None:
    doc = LOCAL_STACK_DOC.read_text()
    section = doc.split("## Three brokers with Docker Compose", 1)[1].split("\n## ", 1)[0]
    assert "docker compose -f docker-compose.yml -f docker-compose.ha.yml up" in section
    published = {port_key(p)[2] for s in THREE_BROKERS["services"].values() for p in s.get("ports", [])}
    mentioned = set(re.findall(r"localhost:(\d+)", section))
    assert mentioned >= {"9092", "9094", "9096", "8080", "8081"}
    assert mentioned <= published, mentioned - published
