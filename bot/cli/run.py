"""`assembly-bot run`: the bot itself, long polling the Bot API until a signal stops it."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from bot.bootstrap import build_app, build_core
from bot.cli.common import CliError, database_error, read_assembly, read_settings, until_signal
from bot.cli.options import add_config_option, add_runtime_option
from bot.telegram.api import ApiError, Transient, Unauthorized


async def _run(args: argparse.Namespace) -> None:
    settings = read_settings()
    assembly = read_assembly(settings, args.config)
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise CliError("TELEGRAM_BOT_TOKEN is not set; create a bot with @BotFather and export its token", 2)
    dashboard_url = str(settings.dashboard_url) if settings.dashboard_url else None
    try:
        core = build_core(assembly, settings.database_url, dashboard_url=dashboard_url)
        app = await build_app(
            core,
            token=settings.telegram_bot_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            runtime=args.runtime,
            poll_timeout=settings.poll_timeout,
        )
    except Exception as error:
        if type(error).__name__ == "TokenValidationError":
            raise CliError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (<digits>:<secret>)", 2
            ) from None
        raise database_error(error) from None
    try:
        try:
            await app.runner.prepare()
        except Unauthorized:
            raise CliError("the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized)") from None
        except Transient:
            raise CliError(f"cannot reach the Bot API at {settings.telegram_api_url}") from None
        except ApiError as error:
            raise CliError(f"the Bot API refused to start the bot: {error}") from None
        logging.getLogger("bot").info(
            "running as @%s for assembly %s on %s", app.runner.username, assembly.id, args.runtime
        )
        await until_signal(app.runner.run())
    finally:
        await app.close()


def register(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="run the bot (long polling)",
        description="Run the bot against TELEGRAM_API_URL with long polling.",
    )
    add_runtime_option(run)
    add_config_option(run)
    run.set_defaults(handler=_run)
