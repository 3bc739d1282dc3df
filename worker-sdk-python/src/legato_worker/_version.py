"""The SDK's name and version as written in every Result's `sdk` field."""

__version__ = "0.2.0"
LANGUAGE = "python"
SDK = f"{LANGUAGE}/{__version__}"
