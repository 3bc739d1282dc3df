"""Schedules: when a schedule fires (calendar.py), computed the same way by every orchestrator."""
