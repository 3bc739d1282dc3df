"""The HTTP API (FastAPI)."""

from legato.api.app import create_app

__all__ = ["create_app"]
