"""Kafka-topic triggers: one run per record of a topic, exactly once (docs/schedules-and-triggers.md)."""
