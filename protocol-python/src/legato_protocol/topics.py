"""Topic and consumer-group names: the one place they are spelled (see docs/protocol.md)."""

import re

# The control topic (Cancel records, protocol v2): one partition, read whole by every worker, so a
# day of withdrawals is what a starting worker learns (docs/protocol.md).
CONTROL_TOPIC_CONFIG = {"retention.ms": "86400000", "cleanup.policy": "delete"}

ACTION_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")
RESERVED_ACTIONS = frozenset({"DLT"})


def valid_action(action: str) -> bool:
    return bool(ACTION_PATTERN.match(action)) and action not in RESERVED_ACTIONS


def job_topic(prefix: str, action: str) -> str:
    return f"{prefix}.{action}"


def jobs_dlt_topic(prefix: str) -> str:
    return f"{prefix}.DLT"


def results_dlt_topic(results_topic: str) -> str:
    return f"{results_topic}.DLT"


def worker_group(group_prefix: str, action: str) -> str:
    return f"{group_prefix}.{action}"


def action_of_group(group_prefix: str, group: str) -> str | None:
    head = group_prefix + "."
    return group[len(head) :] if group.startswith(head) else None


def trigger_group(orchestrator_group: str, trigger_id: str) -> str:
    """The consumer group of a Kafka-topic trigger, under the orchestrator's group (one Kafka
    cluster may serve several Legato installations): it spreads the topic's partitions over the
    orchestrators (the offsets that count are in PostgreSQL, written with the runs)."""
    return f"{orchestrator_group}.trigger.{trigger_id}"


def trigger_dlt_topic(orchestrator_group: str, trigger_id: str) -> str:
    """Where a trigger's records that cannot start a run go (not JSON, an input that fails the checks)."""
    return f"{trigger_group(orchestrator_group, trigger_id)}.DLT"
