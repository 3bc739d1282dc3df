"""Legato: a Kafka-based workflow orchestrator."""

__version__ = "0.1.0"
