"""The health server: `GET /healthz` (is the store reachable) for a proxy or an orchestrator and
`GET /metrics` for Prometheus, on the webhook's listener or, when polling, on one of its own."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot import metrics
from bot.store import health
from bot.store.database import Database

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

PING_TIMEOUT = 5.0
"""A store that does not answer within this many seconds counts as unreachable."""


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 host in brackets) -> (host, port); ValueError with the reason."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{value}' is not HOST:PORT, e.g. 127.0.0.1:8080")
    return host.strip("[]"), int(port)


async def store_reachable(db: Database) -> bool:
    try:
        async with asyncio.timeout(PING_TIMEOUT), db.transaction() as session:
            await health.ping(session)
    except Exception as error:
        log.warning("the store is unreachable (%s)", type(error).__name__)
        return False
    return True


def health_app(db: Database, assembly_id: str) -> web.Application:
    """The application every listener of the bot starts from; `/metrics` counts `assembly_id`'s outbox."""
    from aiohttp import web  # noqa: PLC0415 (a bot polling without --metrics serves nothing)

    async def healthz(request: web.Request) -> web.Response:
        if await store_reachable(db):
            return web.Response(text="ok\n")
        return web.Response(status=503, text="store unreachable\n")

    async def scrape(request: web.Request) -> web.Response:
        body, content_type = await metrics.exposition(db, assembly_id)
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", scrape)
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    from aiohttp import web  # noqa: PLC0415 (see health_app)

    """Listen on host:port; `runner.cleanup()` stops accepting and waits for requests in flight."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=30.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
