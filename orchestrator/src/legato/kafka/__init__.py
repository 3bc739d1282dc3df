"""Kafka clients of the orchestrator: configuration, topic administration, job publishing."""
