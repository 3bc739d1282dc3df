"""Compatibility only: re-exports `legato_protocol.headers`."""

from legato_protocol.headers import *  # noqa: F403
