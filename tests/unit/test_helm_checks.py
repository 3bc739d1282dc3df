"""The helpers behind `make lint-helm` (deploy/helm/): the schema conversions kubeconform's schemas go
through, and the environment check, on small inputs made here (no helm, no kubeconform needed)."""

from __future__ import annotations

import importlib.util
import json
import os
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

HELM = Path(__file__).resolve().parents[2] / "deploy" / "helm"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"helm_{name}", HELM / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


schemas = _load("schemas")
envcheck = _load("envcheck")


def test_kubernetes_schemas_point_at_the_definitions_beside_them(tmp_path: Path) -> None:
    root = "kubernetes_validate/kubernetes-json-schema/v1.31.0-local-strict"
    deployment = {
        "$id": "https://kubernetes.io/api/deployment-apps-v1.json",
        "properties": {"spec": {"$ref": "/api/_definitions.json#/$defs/io.k8s.api.apps.v1.DeploymentSpec"}},
    }
    definitions = {
        "$id": "https://kubernetes.io/api/_definitions.json",
        "$defs": {
            "io.k8s.api.apps.v1.DeploymentSpec": {
                "properties": {"template": {"$ref": "/api/_definitions.json#/$defs/Pod"}},
            },
            # a schema's property called $ref (JSONSchemaProps) is not a reference
            "Props": {"properties": {"$ref": {"type": "string"}}},
        },
    }
    wheel = tmp_path / "kubernetes_validate-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{root}/deployment-apps-v1.json", json.dumps(deployment))
        archive.writestr(f"{root}/_definitions.json", json.dumps(definitions))
        archive.writestr("kubernetes_validate/kubernetes-json-schema/v1.30.0-local-strict/x.json", "{}")

    assert schemas.main(["kubernetes", str(wheel), "1.31.0", str(tmp_path / "out")]) == 0
    out = tmp_path / "out" / "v1.31.0-strict"
    written = json.loads((out / "deployment-apps-v1.json").read_text())
    assert "$id" not in written
    assert (
        written["properties"]["spec"]["$ref"] == "_definitions.json#/$defs/io.k8s.api.apps.v1.DeploymentSpec"
    )
    shared = json.loads((out / "_definitions.json").read_text())
    assert "$id" not in shared
    spec = shared["$defs"]["io.k8s.api.apps.v1.DeploymentSpec"]
    assert spec["properties"]["template"]["$ref"] == "_definitions.json#/$defs/Pod"
    assert shared["$defs"]["Props"]["properties"]["$ref"] == {"type": "string"}

    # a release the wheel does not bundle is an error that says which ones it has
    assert schemas.main(["kubernetes", str(wheel), "1.19.0", str(tmp_path / "none")]) == 1


CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "spec": {
        "group": "monitoring.coreos.com",
        "names": {"kind": "ServiceMonitor"},
        "versions": [
            {
                "name": "v1",
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "port": {
                                        "anyOf": [{"type": "integer"}, {"type": "string"}],
                                        "x-kubernetes-int-or-string": True,
                                    },
                                    "note": {"type": "string", "nullable": True},
                                    "free": {
                                        "type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True,
                                        "properties": {"a": {"type": "string"}},
                                    },
                                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                    # a field called `properties` is a field, not a keyword
                                    "properties": {"type": "object", "properties": {"x": {"type": "string"}}},
                                    "matchers": {
                                        "type": "array",
                                        "items": {"type": "string", "enum": ["=", "!="]},
                                    },
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
}


def test_crd_schemas_are_closed_and_plain_json_schema(tmp_path: Path) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    # a bare `=` is what the prometheus-operator CRDs have in enums: a string, not YAML 1.1's value tag
    text = yaml.safe_dump(CRD).replace("- '='", "- =")
    assert "- =\n" in text
    (crds / "monitoring.coreos.com_servicemonitors.yaml").write_text(text)

    assert schemas.main(["crds", str(crds), str(tmp_path / "out")]) == 0
    schema = json.loads((tmp_path / "out" / "monitoring.coreos.com" / "servicemonitor_v1.json").read_text())
    assert schema["additionalProperties"] is False
    spec = schema["properties"]["spec"]
    assert spec["additionalProperties"] is False
    fields = spec["properties"]
    assert fields["port"] == {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert fields["note"]["type"] == ["string", "null"]
    assert "additionalProperties" not in fields["free"]
    assert "x-kubernetes-preserve-unknown-fields" not in fields["free"]
    assert fields["labels"]["additionalProperties"] == {"type": "string"}
    assert fields["properties"]["additionalProperties"] is False
    assert set(fields["properties"]["properties"]) == {"x"}
    assert fields["matchers"]["items"]["enum"] == ["=", "!="]

    assert schemas.main(["crds", str(tmp_path / "out"), str(tmp_path / "nothing")]) == 1


def _deployment(component: str, env: list[dict[str, Any]], ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": component, "labels": {"app.kubernetes.io/component": component}},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "env": env, "ports": ports}]}}},
    }


SECRET = {"valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
ORCHESTRATOR_ENV = [
    {"name": "LEGATO_API_HOST", "value": "0.0.0.0"},
    {"name": "LEGATO_API_PORT", "value": "8080"},
    {"name": "LEGATO_AUTH", "value": "required"},
    {"name": "LEGATO_DATABASE_URL", **SECRET},
    {"name": "LEGATO_KAFKA_SECURITY_PROTOCOL", "value": "SASL_SSL"},
    {"name": "LEGATO_KAFKA_SASL_MECHANISM", "value": "SCRAM-SHA-512"},
    {"name": "LEGATO_KAFKA_SASL_USERNAME", "value": "legato"},
    {"name": "LEGATO_KAFKA_SASL_PASSWORD", **SECRET},
]
WORKER_ENV = [
    {"name": "LEGATO_KAFKA_BOOTSTRAP_SERVERS", "value": "kafka:9092"},
    {"name": "LEGATO_METRICS_PORT", "value": "9464"},
    {"name": "LEGATO_METRICS_HOST", "value": "0.0.0.0"},
    {"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75"},
]


def _check(tmp_path: Path, *deployments: dict[str, Any]) -> list[str]:
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(deployments))
    problems: list[str] = envcheck.check(path)
    return problems


def test_the_environment_check_accepts_what_the_processes_read(tmp_path: Path) -> None:
    orchestrator = _deployment("orchestrator", ORCHESTRATOR_ENV, [{"name": "http", "containerPort": 8080}])
    worker = _deployment("worker-java", WORKER_ENV, [{"name": "metrics", "containerPort": 9464}])
    assert _check(tmp_path, orchestrator, worker) == []


def test_the_environment_check_names_what_no_process_reads_or_accepts(tmp_path: Path) -> None:
    orchestrator = _deployment(
        "orchestrator",
        [*ORCHESTRATOR_ENV, {"name": "LEGATO_KAFKA_SECURITY", "value": "sasl_ssl"}],
        [{"name": "http", "containerPort": 9090}],
    )
    loopback = _deployment(
        "orchestrator",
        [{"name": "LEGATO_AUTH", "value": "off"}],
        [{"name": "http", "containerPort": 8080}],
    )
    worker = _deployment(
        "worker-python",
        [{"name": "LEGATO_API_PORT", "value": "8080"}, {"name": "LEGATO_METRICS_PORT", "value": "9464"}],
        [],
    )
    refused = _deployment("worker-node", [{"name": "LEGATO_WORKER_CONCURRENCY", "value": "0"}], [])
    before = dict(os.environ)
    problems = "\n".join(_check(tmp_path, orchestrator, loopback, worker, refused))
    assert dict(os.environ) == before
    assert "LEGATO_KAFKA_SECURITY is not read by legato serve" in problems
    assert "its port 'http' is not LEGATO_API_PORT (8080)" in problems
    assert "binds 127.0.0.1 with auth off" in problems
    assert "LEGATO_API_PORT is not read by the worker SDKs" in problems
    assert "its port 'metrics' is not LEGATO_METRICS_PORT (9464)" in problems
    assert "out of Prometheus' reach" in problems
    assert "LEGATO_WORKER_CONCURRENCY must be at least 1, got 0" in problems
