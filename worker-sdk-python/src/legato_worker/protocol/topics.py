"""Compatibility only: re-exports `legato_protocol.topics`."""

from legato_protocol.topics import *  # noqa: F403
