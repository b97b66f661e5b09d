"""Operator settings, read from the environment."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from pydantic import Field, HttpUrl, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

EXAMPLE_ASSEMBLY = Path(str(files("bot").joinpath("examples", "assembly.yaml")))
"""The repository's example definition, shipped inside the package; a path on disk, since the package
is always installed as files (Alembic needs its migrations as files too)."""


class Settings(BaseSettings):
    """TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, DATABASE_URL, ASSEMBLY_CONFIG, DASHBOARD_URL, REDIS_URL;
    the token never prints."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///assembly.sqlite"
    assembly_config: Path = Field(default=EXAMPLE_ASSEMBLY)
    poll_timeout: int = Field(default=10, ge=0, le=50)
    dashboard_url: HttpUrl | None = None
    """Where `assembly-bot dashboard` is reachable from facilitators' browsers (HTTPS in production)."""
    redis_url: str | None = None
    """The Redis through which several `assembly-bot run` workers on one PostgreSQL share the send
    budget; without it a worker on PostgreSQL must be the only one."""
