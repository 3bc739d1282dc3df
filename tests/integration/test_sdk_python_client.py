"""The Python SDK's Client and AsyncClient against a real orchestrator: the isolated one of the
`orchestrator` fixture, or the API at LEGATO_API_URL when that is set (a running dev stack).
The workflows need no worker: a 1 s wait and a signal step."""

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

from legato_worker import (
    AsyncClient,
    AwaitTimeout,
    Client,
    InvalidRequest,
    NotFound,
    RunCancelled,
    Workflow,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api_url(request: pytest.FixtureRequest) -> str:
    return os.environ.get("LEGATO_API_URL") or request.getfixturevalue("orchestrator").url


@pytest.fixture
def client(api_url: str) -> Iterator[Client]:
    with Client(api_url) as c:
        yield c


@pytest.fixture(scope="module")
def approval(api_url: str) -> str:
    """A workflow that waits 1 s, then for the signal `go`, whose payload is its output."""
    workflow = (
        Workflow(f"client-approval-{uuid.uuid4().hex[:8]}")
        .wait("settle", seconds=1)
        .signal("go", name="go", depends_on=["settle"])
    )
    with Client(api_url) as c:
        defined = c.define(workflow)
    assert (defined["id"], defined["version"]) == (workflow.id, 1)
    return workflow.id


def test_trigger_get_list_signal_and_result(client: Client, approval: str) -> None:
    run = client.trigger(approval, {"order": 42})
    again = client.trigger(approval, {"order": 42}, idempotency_key=f"k-{run.run_id}")
    assert client.trigger(approval, {"order": 42}, idempotency_key=f"k-{run.run_id}").run_id == again.run_id

    got = run.get()
    assert (got.run_id, got.workflow_id, got.version, got.input) == (run.run_id, approval, 1, {"order": 42})
    assert got.status == "RUNNING"
    assert got.raw["steps"][0]["id"] == "settle"
    listed = [r.run_id for r in client.list_runs(workflow_id=approval, limit=10)]
    assert set(listed) >= {run.run_id, again.run_id}
    assert [r.run_id for r in client.list_runs(workflow_id=approval, limit=1)] == [listed[0]]

    sent = client.signal(run.run_id, "go", {"approved": True}, signal_id="s-1")
    assert (sent["duplicate"], sent["signalId"]) == (False, "s-1")
    assert run.result(timeout=30) == {"approved": True}
    types = [e["type"] for e in run.events()]
    assert types[0] == "RUN_CREATED"
    assert types[-1] == "RUN_COMPLETED"
    assert client.cancel(again.run_id)["changed"] is True


def test_a_cancelled_run_raises_run_cancelled(client: Client, approval: str) -> None:
    run = client.trigger(approval)
    with pytest.raises(AwaitTimeout):
        run.result(timeout=0.5)
    assert client.pause(run.run_id)["status"] == "PAUSED"
    assert client.resume(run.run_id)["status"] == "RUNNING"
    assert client.cancel(run.run_id) == {"runId": run.run_id, "status": "CANCELLED", "changed": True}
    with pytest.raises(RunCancelled):
        run.result(timeout=30)


def test_async_client_awaits_a_signalled_run(api_url: str, approval: str) -> None:
    async def main() -> tuple[object, list[str]]:
        async with AsyncClient(api_url) as client:
            run = await client.trigger(approval, "x", priority=1)
            await client.signal(run.run_id, "go", "approved")
            output = await run.result(timeout=30)
            return output, [e["type"] async for e in client.events(run.run_id)]

    output, types = asyncio.run(main())
    assert output == "approved"
    assert "SIGNAL_RECEIVED" in types
    assert types[-1] == "RUN_COMPLETED"


def test_unknown_runs_and_bad_definitions_are_typed_errors(client: Client) -> None:
    unknown = str(uuid.uuid4())
    with pytest.raises(NotFound):
        client.get(unknown)
    with pytest.raises(NotFound):
        client.result(unknown, timeout=10)
    with pytest.raises(InvalidRequest, match="dependsOn"):
        client.define({"id": "client-bad", "steps": [{"id": "a", "action": "x", "dependsOn": ["nope"]}]})
