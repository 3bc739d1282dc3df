"""Which actions have live workers: the members of the `legato-workers.<action>` consumer groups."""

from typing import Any

from confluent_kafka.admin import AdminClient

from legato_protocol.topics import action_of_group


def live_workers(admin: AdminClient, group_prefix: str, timeout: float = 5) -> dict[str, dict[str, Any]]:
    listed = admin.list_consumer_groups(request_timeout=timeout).result(timeout)
    groups = [g.group_id for g in listed.valid if action_of_group(group_prefix, g.group_id)]
    if not groups:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for group_id, future in admin.describe_consumer_groups(groups, request_timeout=timeout).items():
        desc = future.result(timeout)
        action = action_of_group(group_prefix, group_id)
        assert action is not None
        out[action] = {
            "group": group_id,
            "state": str(desc.state).rsplit(".", 1)[-1],
            "workers": sorted(
                # Kafka reports a member's address as "/127.0.0.1"
                ({"clientId": m.client_id, "host": m.host.lstrip("/")} for m in desc.members),
                key=lambda w: w["clientId"],
            ),
        }
    return dict(sorted(out.items()))
