"""Fuzz every operation of the API from its own OpenAPI document: no input ever gets a 5xx."""

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from harness.api import define, unique
from harness.orchestrator import Orchestrator

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def api_schema(orchestrator: Orchestrator) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_url(f"{orchestrator.url}/openapi.json")
    # Valid and invalid requests, with NUL characters allowed anywhere they can travel.
    loaded.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
        allow_x00=True,
        max_examples=25,
    )
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")
# Reading a DLT topic waits on Kafka (about a second a call): fuzzed apart, with fewer examples.
SLOW = "/dead-letters/topics/{which}"
# A batch trigger's items are read only for a workflow that exists: fuzzed again against one.
BATCH = "/workflow/{workflow_id}/trigger/batch"


@pytest.fixture(scope="module")
def defined(orchestrator: Orchestrator) -> str:
    wid = unique("fuzzed")
    with httpx.Client(base_url=orchestrator.url, timeout=30) as api:
        define(api, {"id": wid, "steps": [{"action": unique("fuzzed-step"), "stepIndex": 0}]})
    return wid


@schema.exclude(path=SLOW).parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_5xx(case: schemathesis.Case) -> None:
    _no_5xx(case)


@schema.include(path=SLOW).parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_to_a_dlt_topic_gets_a_5xx(case: schemathesis.Case) -> None:
    _no_5xx(case)


@schema.include(path=BATCH).parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_batch_of_a_defined_workflow_gets_a_5xx(case: schemathesis.Case, defined: str) -> None:
    case.path_parameters = {**(case.path_parameters or {}), "workflow_id": defined}
    _no_5xx(case)


def _no_5xx(case: schemathesis.Case) -> None:
    response = case.call(timeout=30)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}\n"
        f"{case.as_curl_command()}"
    )
