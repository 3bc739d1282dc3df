"""Which actions have live workers: the members of the `legato-workers.<action>` consumer groups."""

from typing import Any

from confluent_kafka import KafkaError, KafkaException

from legato.kafka.isolated import GroupAdmin
from legato_protocol.topics import action_of_group


def live_workers(groups: GroupAdmin, group_prefix: str, timeout: float = 5) -> dict[str, dict[str, Any]]:
    """Raises KafkaException when Kafka did not answer for some group."""
    names = [g for g in groups.list_groups(timeout) if action_of_group(group_prefix, g)]
    out: dict[str, dict[str, Any]] = {}
    for group_id, desc in groups.describe(names, timeout).items():
        if desc.error is not None:
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT, f"group {group_id}: {desc.error}"))
        action = action_of_group(group_prefix, group_id)
        assert action is not None
        out[action] = {
            "group": group_id,
            "state": desc.state,
            "workers": sorted(
                # Kafka reports a member's address as "/127.0.0.1"
                ({"clientId": m.client_id, "host": m.host.lstrip("/")} for m in desc.members),
                key=lambda w: w["clientId"],
            ),
        }
    return dict(sorted(out.items()))
