"""The child process of kafka.isolated: consumer-group admin requests, one JSON line each on stdin,
one answer line each on stdout. The first line is the client's configuration; EOF (the parent is
gone) ends it."""

import json
import sys
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient


def list_groups(admin: AdminClient, timeout: float) -> list[str]:
    listed = admin.list_consumer_groups(request_timeout=timeout).result(timeout)
    return [g.group_id for g in listed.valid]


def describe(admin: AdminClient, groups: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for group, future in admin.describe_consumer_groups(groups, request_timeout=timeout).items():
        try:
            desc: Any = future.result(timeout)
        except KafkaException as exc:
            out[group] = {"state": "", "members": [], "error": str(exc.args[0])}
            continue
        members = [{"clientId": m.client_id, "host": m.host} for m in desc.members or []]
        out[group] = {"state": str(desc.state).rsplit(".", 1)[-1], "members": members, "error": None}
    return out


def answer(admin: AdminClient, request: dict[str, Any]) -> dict[str, Any]:
    try:
        if request["op"] == "list":
            return {"result": list_groups(admin, request["timeout"])}
        return {"result": describe(admin, request["groups"], request["timeout"])}
    except Exception as exc:  # any failure is the caller's to report: this process goes on
        return {"error": f"{type(exc).__name__}: {exc}"}


def main() -> None:
    config = json.loads(sys.stdin.readline())
    admin = AdminClient(config)
    for line in sys.stdin:
        sys.stdout.write(json.dumps(answer(admin, json.loads(line))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
