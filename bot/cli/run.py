"""`assembly-bot run`: the bot itself, long polling the Bot API or serving its webhook, until a signal
stops it."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from bot.bootstrap import App, build_app, build_core
from bot.cli.common import CliError, database_error, read_assembly, read_settings, until_signal
from bot.cli.options import add_config_option, add_runtime_option
from bot.store.participants import BotTaken
from bot.telegram.api import ApiError, Transient, Unauthorized
from bot.telegram.fleet import FleetRefused
from bot.telegram.health import health_app, parse_listen, serve
from bot.telegram.identity import bot_id_of
from bot.telegram.webhook import Webhook, WebhookRefused, check_secret

BAD_TOKEN = "TELEGRAM_BOT_TOKEN does not look like a bot token (<digits>:<secret>)"

log = logging.getLogger("bot")


def _webhook(args: argparse.Namespace) -> Webhook | None:
    """The webhook the options and TELEGRAM_WEBHOOK_SECRET describe; CliError (one line) if wrong."""
    if args.webhook is None:
        return None
    parts = urlsplit(args.webhook)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CliError(f"--webhook: '{args.webhook}' is not an https:// URL", 2)
    try:
        secret = check_secret(os.environ.get("TELEGRAM_WEBHOOK_SECRET"))
    except ValueError as error:
        raise CliError(str(error), 2) from None
    return Webhook(args.webhook, secret, *_address(args.listen, "--listen"), args.max_connections)


def _connections(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 100:
        raise argparse.ArgumentTypeError("Telegram allows 1 to 100 connections")
    return int(value)


def _address(value: str, option: str) -> tuple[str, int]:
    try:
        return parse_listen(value)
    except ValueError as error:
        raise CliError(f"{option}: {error}", 2) from None


@contextlib.asynccontextmanager
async def _health_listener(app: App, address: tuple[str, int] | None) -> AsyncIterator[None]:
    """In polling mode, `/healthz` and `/metrics` on their own listener when --metrics asks for one."""
    if address is None:
        yield
        return
    listener = await serve(health_app(app.db, app.core.kit.assembly.id), *address)
    try:
        yield
    finally:
        await listener.cleanup()


async def _run(args: argparse.Namespace) -> None:
    settings = read_settings()
    assembly = read_assembly(settings, args.config)
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise CliError("TELEGRAM_BOT_TOKEN is not set; create a bot with @BotFather and export its token", 2)
    try:
        bot_id_of(settings.telegram_bot_token.get_secret_value())
    except ValueError:
        raise CliError(BAD_TOKEN, 2) from None
    webhook = _webhook(args)
    health = _address(args.metrics, "--metrics") if webhook is None and args.metrics else None
    dashboard_url = str(settings.dashboard_url) if settings.dashboard_url else None
    try:
        core = build_core(assembly, settings.database_url, dashboard_url=dashboard_url)
        app = await build_app(
            core,
            token=settings.telegram_bot_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            runtime=args.runtime,
            poll_timeout=settings.poll_timeout,
            webhook=webhook,
            coordinate=True,
            redis_url=settings.redis_url,
        )
    except FleetRefused as error:
        raise CliError(str(error)) from None
    except Exception as error:
        if type(error).__name__ == "TokenValidationError":
            raise CliError(BAD_TOKEN, 2) from None
        raise database_error(error) from None
    try:
        try:
            await app.runner.prepare()
            if webhook is None:
                # A webhook left by an earlier run would make getUpdates fail; its queue is kept.
                await app.api.delete_webhook()
        except Unauthorized:
            raise CliError("the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized)") from None
        except Transient:
            raise CliError(f"cannot reach the Bot API at {settings.telegram_api_url}") from None
        except ApiError as error:
            raise CliError(f"the Bot API refused to start the bot: {error}") from None
        except BotTaken as error:
            raise CliError(str(error), 2) from None
        mode = f"webhook {webhook.url}" if webhook else "long polling"
        log.info(
            "running as @%s for assembly %s on %s, %s", app.runner.username, assembly.id, args.runtime, mode
        )
        async with _health_listener(app, health):
            try:
                await until_signal(app.runner.run())
            except WebhookRefused as error:
                raise CliError(str(error)) from None
    finally:
        await app.close()


def register(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="run the bot (long polling, or a webhook)",
        description="Run the bot against TELEGRAM_API_URL: long polling, or with --webhook serving "
        "Telegram's webhook (secret from TELEGRAM_WEBHOOK_SECRET) with GET /healthz beside it.",
    )
    add_runtime_option(run)
    add_config_option(run)
    run.add_argument("--webhook", metavar="URL", help="the public https URL Telegram POSTs updates to")
    run.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default="127.0.0.1:8080",
        help="where the webhook is served, behind the reverse proxy (default: 127.0.0.1:8080)",
    )
    run.add_argument(
        "--max-connections",
        type=_connections,
        metavar="N",
        default=40,
        help="deliveries Telegram may have open at once, 1-100 (default: 40)",
    )
    run.add_argument(
        "--metrics",
        metavar="HOST:PORT",
        help="when long polling: serve /healthz and /metrics here (the webhook listener has them)",
    )
    run.set_defaults(handler=_run)
