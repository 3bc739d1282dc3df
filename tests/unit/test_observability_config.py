"""The Grafana dashboard, the Prometheus alert rules and the compose observability profile only use
what exists: every PromQL expression parses (promql-parser) and names only metrics the orchestrator
registers (legato.metrics) or the SDKs expose (docs/observability.md, "Worker SDKs"), with the
suffixes their types give them (_total on counters; _bucket/_sum/_count on histograms)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from legato import metrics

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "legato.json"
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS = REPO / "deploy" / "prometheus" / "prometheus.yml"
COMPOSE = REPO / "docker-compose.yml"
SPEC = REPO / "docs" / "observability.md"
# Grafana's variables, as Prometheus would see them once Grafana has put in their values
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
SERIES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
}


def exposed(name: str, kind: str) -> set[str]:
    base = name.removesuffix("_total") if kind == "counter" else name
    return {base + suffix for suffix in SERIES[kind]}


def orchestrator_series() -> set[str]:
    """Every series name the orchestrator's metrics expose (from the objects legato.metrics made)."""
    names: set[str] = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            names |= exposed(value._name, str(value._type))
    return names


def sdk_series() -> set[str]:
    """The SDK metrics table of docs/observability.md: | `name` | type | ..."""
    text = SPEC.read_text().split("### Worker SDKs", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(legato_worker_[a-z_]+)` \| (counter|gauge|histogram) \|", text, re.M)
    assert len(rows) >= 5, rows
    return {s for name, kind in rows for s in exposed(name, kind)}


KNOWN = orchestrator_series() | sdk_series()


def names_in(expr: str) -> set[str]:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in re.sub(r'"[^"]*"', "", expr), f"an unknown Grafana variable in {expr}"
    found: set[str] = set()

    def visit(node: Any, *_: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                found.add(node.name)
            for matcher in node.matchers.matchers:
                if matcher.name == "__name__":
                    found.add(matcher.value)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    assert found, f"no metric in {expr}"
    return found


def dashboard_exprs() -> Iterator[str]:
    def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for p in items:
            yield p
            yield from panels(p.get("panels", []))

    for panel in panels(json.loads(DASHBOARD.read_text())["panels"]):
        for target in panel.get("targets", []):
            yield target["expr"]


def alert_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def unknown(exprs: list[str]) -> dict[str, set[str]]:
    return {e: bad for e in exprs if (bad := names_in(e) - KNOWN)}


def test_the_known_names_come_from_the_registry_and_the_spec() -> None:
    assert "legato_step_queue_seconds_bucket" in KNOWN
    assert "legato_runs_started_total" in KNOWN
    assert "legato_engine_paused" in KNOWN
    assert "legato_worker_handler_duration_seconds_count" in KNOWN
    assert "legato_worker_jobs_total" in KNOWN
    assert "legato_runs_started" not in KNOWN
    assert "legato_step_queue_seconds" not in KNOWN  # a histogram has no series of its bare name


def test_orchestrator_metrics_of_the_spec_exist() -> None:
    text = SPEC.read_text().split("### Orchestrator", 1)[1].split("### Worker SDKs", 1)[0]
    rows = re.findall(r"^\| `(legato_[a-z_]+)` \| (counter|gauge|histogram) \|", text, re.M)
    assert len(rows) >= 16
    for name, kind in rows:
        assert exposed(name, kind) <= KNOWN, f"{name} ({kind}) is in the spec, not in legato.metrics"


def test_dashboard_queries_name_only_existing_metrics() -> None:
    exprs = list(dashboard_exprs())
    assert len(exprs) >= 20
    assert unknown(exprs) == {}


def test_dashboard_covers_the_orchestrator_and_the_workers() -> None:
    used = set().union(*(names_in(e) for e in dashboard_exprs()))
    for name in (
        "legato_runs_finished_total",
        "legato_step_queue_seconds_bucket",
        "legato_step_execution_seconds_bucket",
        "legato_attempts_total",
        "legato_retries_total",
        "legato_attempt_timeouts_total",
        "legato_dead_letters_total",
        "legato_consumer_lag_messages",
        "legato_outbox_depth",
        "legato_outbox_oldest_age_seconds",
        "legato_signal_waits",
        "legato_runs_paused",
        "legato_engine_batch_size_bucket",
        "legato_engine_batch_duration_seconds_bucket",
        "legato_engine_paused",
        "legato_worker_jobs_total",
        "legato_worker_handler_duration_seconds_bucket",
        "legato_worker_slots_busy",
        "legato_worker_slots",
    ):
        assert name in used, name


def test_dashboard_uses_a_datasource_variable() -> None:
    board = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_alert_rules_name_only_existing_metrics() -> None:
    rules = alert_rules()
    assert {r["alert"] for r in rules} >= {
        "WorkflowFailureRateHigh",
        "StepP99High",
        "ConsumerLagGrowing",
        "DeadLettersArriving",
        "EnginePaused",
        "NoWorkersForAction",
    }
    assert unknown([r["expr"] for r in rules]) == {}
    paused = next(r for r in rules if r["alert"] == "EnginePaused")
    assert paused["for"] == "2m"


def test_a_misspelt_metric_is_caught() -> None:
    assert unknown(["sum(rate(legato_run_started_total[5m]))"]) == {
        "sum(rate(legato_run_started_total[5m]))": {"legato_run_started_total"}
    }
    assert unknown(["histogram_quantile(0.9, rate(legato_step_queue_seconds[$__rate_interval]))"])
    assert unknown(['{__name__="legato_worker_job_total"}'])
    with pytest.raises(ValueError, match="parenthesis"):
        names_in("sum(rate(legato_runs_started_total[5m])")  # unbalanced: does not parse


def test_prometheus_scrapes_the_orchestrator_and_workers_and_loads_the_rules() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
    }
    assert targets["legato-orchestrator"] == ["orchestrator:8080"]
    assert "worker-python:9464" in targets["legato-workers"]


def test_compose_observability_profile() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    for name, image in (("prometheus", "prom/prometheus:"), ("grafana", "grafana/grafana:")):
        service = services[name]
        assert service["profiles"] == ["observability"], name
        assert service["image"].startswith(image), name
        for port in service["ports"]:
            assert str(port).startswith("127.0.0.1:"), (name, port)
        for volume in service["volumes"]:
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts {source}, which does not exist"
            else:
                assert source in compose["volumes"], (name, source)
    mounts = [v.split(":")[1] for v in services["prometheus"]["volumes"]]
    assert "/etc/prometheus/alerts.yml" in mounts
    assert "/etc/prometheus/prometheus.yml" in mounts
    worker_env = services["worker-python"]["environment"]
    assert worker_env["LEGATO_METRICS_PORT"] == "9464"
    for service in services.values():  # the default stack is unchanged by the profile
        if service.get("profiles") == ["observability"]:
            continue
        assert "observability" not in service.get("profiles", [])


def test_grafana_provisioning_points_at_the_dashboard_and_prometheus() -> None:
    provisioning = REPO / "deploy" / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    assert sources["datasources"][0]["type"] == "prometheus"
    assert sources["datasources"][0]["url"] == "http://prometheus:9090"
    boards = yaml.safe_load((provisioning / "dashboards" / "legato.yml").read_text())
    path = boards["providers"][0]["options"]["path"]
    grafana = yaml.safe_load(COMPOSE.read_text())["services"]["grafana"]
    assert any(v.split(":")[1] == f"{path}/legato.json" for v in grafana["volumes"])
