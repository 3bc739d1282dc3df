"""The intake: the process that starts runs without an HTTP request (schedules, Kafka-topic triggers)."""
