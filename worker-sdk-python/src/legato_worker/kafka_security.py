"""Compatibility only: the Kafka security settings now live in `legato_protocol.kafka_security`,
shared with the orchestrator; this module re-exports them for code written against SDK 0.2."""

from legato_protocol.kafka_security import *  # noqa: F403
