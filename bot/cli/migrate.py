"""`assembly-bot migrate`: bring DATABASE_URL's schema to this release, then exit.

`run` migrates at start too; a deployment runs this once before starting its workers, so that
several workers never race to migrate and an upgrade fails before any worker stops."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from bot.cli.common import open_core, read_assembly, read_settings
from bot.cli.options import add_config_option


async def _migrate(args: argparse.Namespace) -> None:
    settings = read_settings()
    assembly = read_assembly(settings, args.config)
    async with open_core(settings, assembly):
        pass  # opening the Core migrated the store and recorded the assembly
    logging.getLogger("bot").info("the database schema is up to date")


def register(commands: Any) -> None:
    migrate = commands.add_parser(
        "migrate",
        help="migrate the database to this release and exit",
        description="Apply every pending migration to DATABASE_URL (run once before starting workers).",
    )
    add_config_option(migrate)
    migrate.set_defaults(handler=_migrate)
