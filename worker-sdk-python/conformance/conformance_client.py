"""The Python SDK's client conformance driver (spec: tests/conformance/README.md, "client"): one
JSON command per stdin line, exactly one JSON answer per command on stdout, logs on stderr.
Config: LEGATO_API_URL, LEGATO_API_KEY."""

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from legato_worker import ApiError, Client, LegatoError, Workflow, ref

log = logging.getLogger("conformance-client")


def define_built(client: Client, c: dict[str, Any]) -> Any:
    action = c["action"]
    workflow = (
        Workflow(c["id"])
        .step("first", action=action)
        .step("second", action=action, depends_on=["first"], input=ref("steps.first.output"))
    )
    return client.define(workflow)


def get(client: Client, c: dict[str, Any]) -> Any:
    run = client.get(c["runId"])
    return {
        "runId": run.run_id,
        "workflowId": run.workflow_id,
        "status": run.status,
        "output": run.output,
        "error": run.error,
    }


COMMANDS: dict[str, Callable[[Client, dict[str, Any]], Any]] = {
    "define": lambda client, c: client.define(c["definition"]),
    "defineBuilt": define_built,
    "trigger": lambda client, c: {
        "runId": client.trigger(
            c["workflowId"],
            c.get("input"),
            idempotency_key=c.get("idempotencyKey"),
            priority=c.get("priority"),
        ).run_id
    },
    "get": get,
    "result": lambda client, c: {"output": client.result(c["runId"], c.get("timeoutSeconds"))},
    "events": lambda client, c: {
        "types": [e["type"] for e in client.events(c["runId"], c.get("after") or 0)]
    },
    "signal": lambda client, c: client.signal(
        c["runId"], c["name"], c.get("payload"), signal_id=c.get("signalId")
    ),
    "cancel": lambda client, c: client.cancel(c["runId"]),
    "retry": lambda client, c: client.retry(c["runId"]),
    "pause": lambda client, c: client.pause(c["runId"]),
    "resume": lambda client, c: client.resume(c["runId"]),
    "list": lambda client, c: {
        "runIds": [r.run_id for r in client.list_runs(c.get("workflowId"), c.get("status"), c.get("limit"))]
    },
}


def answer(client: Client, line: str) -> dict[str, Any]:
    try:
        command = json.loads(line)
        handler = COMMANDS[command["op"]]
    except (ValueError, KeyError, TypeError) as exc:
        return {"error": {"type": "BadCommand", "status": None, "message": f"{type(exc).__name__}: {exc}"}}
    try:
        return {"ok": handler(client, command)}
    except ApiError as exc:
        return {"error": {"type": type(exc).__name__, "status": exc.status, "message": exc.message}}
    except LegatoError as exc:
        return {"error": {"type": type(exc).__name__, "status": None, "message": str(exc)}}
    except (KeyError, TypeError, ValueError) as exc:
        return {"error": {"type": "BadCommand", "status": None, "message": f"{type(exc).__name__}: {exc}"}}


def main() -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with Client() as client:
        log.info("client conformance driver for %s", client.config.api_url)
        for line in sys.stdin:
            if not line.strip():
                continue
            print(json.dumps(answer(client, line), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
