"""Idempotency-Key handling for triggers (IETF draft "The Idempotency-Key HTTP Header Field")."""
