"""`assembly-bot migrate`: bring DATABASE_URL's schema to this release, then exit.

`run` migrates at start too; a deployment runs this once before starting its workers, so that
several workers never race to migrate and an upgrade fails before any worker stops."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from bot.cli.common import database_error, read_settings
from bot.store.database import Database


async def _migrate(args: argparse.Namespace) -> None:
    settings = read_settings()
    try:
        db = Database(settings.database_url)
    except Exception as error:
        raise database_error(error) from None
    try:
        await db.migrate()
    except Exception as error:
        raise database_error(error) from None
    finally:
        await db.dispose()
    logging.getLogger("bot").info("the database schema is up to date")


def register(commands: Any) -> None:
    migrate = commands.add_parser(
        "migrate",
        help="migrate the database to this release and exit",
        description="Apply every pending migration to DATABASE_URL (run once before starting workers).",
    )
    migrate.set_defaults(handler=_migrate)
