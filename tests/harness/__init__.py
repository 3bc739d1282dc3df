"""Test harness: real Kafka, PostgreSQL and Redis; a real `legato serve` process; real workers."""
