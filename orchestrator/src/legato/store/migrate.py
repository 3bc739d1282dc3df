"""Bring the database schema up to date (run by `legato serve` and `legato migrate`)."""

from importlib import resources

from alembic import command
from alembic.config import Config


def upgrade(sqlalchemy_url: str) -> None:
    here = resources.files("legato.store") / "migrations"
    config = Config(str(here / "alembic.ini"))
    config.set_main_option("script_location", str(here))
    config.attributes["url"] = sqlalchemy_url
    command.upgrade(config, "head")
