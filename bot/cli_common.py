"""What every `assembly-bot` command shares: its error type and how it reads settings and the definition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config import ConfigError, load_assembly
from bot.settings import Settings


class CliError(Exception):
    """Printed as `assembly-bot: error: <message>`, exit status 2 (usage) or 1 (runtime)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def read_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        detail = error.errors()[0]
        name = str(detail["loc"][0]).upper() if detail["loc"] else "environment"
        raise CliError(f"{name}: {detail['msg']}", 2) from None


def read_assembly(settings: Settings, path: Path | None) -> Any:
    try:
        return load_assembly(path or settings.assembly_config)
    except ConfigError as error:
        raise CliError(str(error), 2) from None
