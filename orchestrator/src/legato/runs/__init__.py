"""Runs: starting them and reading them back."""
