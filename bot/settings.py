"""Operator settings from the environment: bot token, Bot API and dashboard URLs, store, definition."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, HttpUrl, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

EXAMPLE_ASSEMBLY = Path(__file__).resolve().parent.parent / "examples" / "assembly.yaml"


class Settings(BaseSettings):
    """TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, DATABASE_URL, ASSEMBLY_CONFIG, DASHBOARD_URL; the token
    never prints."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///assembly.sqlite"
    assembly_config: Path = Field(default=EXAMPLE_ASSEMBLY)
    poll_timeout: int = Field(default=10, ge=0, le=50)
    dashboard_url: HttpUrl | None = None
    """Where `assembly-bot dashboard` is reachable from facilitators' browsers (HTTPS in production)."""
