"""How `assembly-bot` logs: quiet by default, one documented setting to hear more.

By default only the bot's own notices (INFO and up) and every library's warnings reach stderr: no
migration lines, no lottery progress, no scheduler line per job run. `--log-level` or `LOG_LEVEL`
sets one level for everything instead; `LOG_FORMAT=json` writes one JSON object per line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from bot.cli.common import CliError
from bot.logs import JsonFormatter

LEVELS = ("debug", "info", "warning", "error")
SECRET_BEARING = ("httpx", "aiogram", "telegram")
"""Libraries whose request lines carry the bot token in the URL: never below WARNING."""


class _OwnNoticesOnly(logging.Filter):
    """The bot's INFO notices pass; other loggers only from WARNING up."""

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name == "bot" or record.name.startswith("bot.")
        return own or record.levelno >= logging.WARNING


class _CancelledCloseNoise(logging.Filter):
    """Drops SQLAlchemy's tracebacks for a connection whose transaction a stop cut short. Closing a
    SQLite connection mid-query goes on, shielded, and completes; only the fallback SQLAlchemy then
    tries, a forced close, does not exist in the aiosqlite series the project pins. A rollback cut
    short by the stop's cancellation makes the pool discard the connection, and the database rolls
    the transaction back as the connection ends. Either failure is all the traceback reports."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("sqlalchemy.pool") or record.exc_info is None:
            return True
        kind, message = record.exc_info[0], record.getMessage()
        closing = kind is NotImplementedError and message.startswith("Exception terminating connection")
        resetting = kind is asyncio.CancelledError and message.startswith("Exception during reset")
        return not (closing or resetting)


def chosen_level(given: str | None) -> str | None:
    """`--log-level`, else LOG_LEVEL, else None (the quiet default)."""
    level = given or os.environ.get("LOG_LEVEL", "").strip().lower() or None
    if level is not None and level not in LEVELS:
        raise CliError(f"LOG_LEVEL: '{level}' is not one of {', '.join(LEVELS)}", 2)
    return level


def configure(level: str | None) -> logging.Handler:
    """Install the stderr handler for `level` (None: the quiet default); the caller removes it when
    the command ends."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_CancelledCloseNoise())
    if level is None:
        handler.addFilter(_OwnNoticesOnly())
    root.addHandler(handler)
    root.setLevel(logging.INFO if level is None else level.upper())
    for library in SECRET_BEARING:
        logging.getLogger(library).setLevel(logging.WARNING)
    return handler
