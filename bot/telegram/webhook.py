"""Webhook mode: Telegram POSTs each update to us; we answer 200 only once it is recorded.

The webhook is another update source for the runner: instead of getUpdates, an HTTP endpoint
records each update through the same store path the poller uses (so redeliveries are dropped the
same way) and hands its chat to the same lanes that handle recorded updates. Telegram re-sends
anything that was not answered 200, so an update is never lost between Telegram and the store.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.logs import update_context
from bot.store import outbox
from bot.telegram.api import ApiError
from bot.telegram.fleet import Fleet
from bot.telegram.health import health_app, serve
from bot.telegram.inbound import ALLOWED_UPDATES
from bot.telegram.runner import Runner

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
DRAIN_TIMEOUT = 30.0
"""At shutdown, how long to keep sending messages that are due before giving up (they stay queued)."""


class WebhookRefused(Exception):
    """setWebhook failed at start (a URL Telegram does not accept, say): the run stops with one line."""


def check_secret(value: str | None) -> str:
    """TELEGRAM_WEBHOOK_SECRET as Telegram accepts it: 1-256 characters of A-Z, a-z, 0-9, _ and -."""
    if not value:
        raise ValueError("TELEGRAM_WEBHOOK_SECRET is required with --webhook")
    if _SECRET.fullmatch(value) is None:
        raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return value


@dataclass(frozen=True)
class Webhook:
    """Where Telegram sends updates (`url`, whose path we serve), the shared secret it sends with
    each, the address we listen on, and how many deliveries Telegram may have open at once."""

    url: str
    secret: str
    host: str = "127.0.0.1"
    port: int = 8080
    max_connections: int = 40

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


async def _forever() -> None:
    await asyncio.Event().wait()


class WebhookRunner(Runner):
    """The runner with the webhook as its update source; everything else (start-up catch-up, recovery
    of recorded updates, lanes of recorded updates, the sender, the scheduler) is the runner's own."""

    def __init__(self, *args: Any, webhook: Webhook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.webhook = webhook
        self.app = health_app(self.db, self.kit.assembly.id)
        self.app.router.add_post(webhook.path, self._receive)

    async def _poll(self) -> None:
        """Serve until cancelled; then stop accepting, finish what is in flight, send what is due."""
        listener = await serve(self.app, self.webhook.host, self.webhook.port)
        try:
            try:
                await self.api.set_webhook(
                    self.webhook.url, self.webhook.secret, ALLOWED_UPDATES, self.webhook.max_connections
                )
            except ApiError as error:
                raise WebhookRefused(f"the Bot API refused the webhook {self.webhook.url}: {error}") from None
            log.info("webhook set; listening on %s:%s", self.webhook.host, self.webhook.port)
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # the drain below awaits; the cancellation is raised again after it
            await listener.cleanup()
            await self.idle()
            await self._send_due()
            raise
        except BaseException:
            await listener.cleanup()
            raise

    async def _in_fleet(self, fleet: Fleet) -> None:
        """Every worker serves the webhook (behind one proxy); the leader sends the button answers.
        Whichever of the two ends first (a refused webhook, a lost store) ends both."""
        tasks = {asyncio.create_task(self._poll()), asyncio.create_task(self._lead(fleet, _forever))}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _receive(self, request: web.Request) -> web.Response:
        from aiohttp import web  # noqa: PLC0415 (loaded by the listener already; polling never needs it)

        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook.secret.encode()):
            return web.Response(status=401)
        try:
            body = await request.json()
            if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
                raise ValueError("no update_id")
            item = self.api.parse_update(body)
        except Exception as error:
            log.info("webhook body refused: not an update (%s)", type(error).__name__)
            return web.Response(status=400)
        self._expect_presses([item])
        try:
            with update_context(item.update_id, item.chat_id):
                fresh = await self._store([item])
                log.debug("update recorded (%s new)", len(fresh))
        except Exception as error:
            # Unanswered, Telegram delivers it again later. The driver's message may quote the
            # update (what was typed), so only its type is logged.
            log.warning(
                "update %s not recorded (%s); Telegram will retry", item.update_id, type(error).__name__
            )
            return web.Response(status=503)
        # Recorded and committed: from here a crash loses nothing, so Telegram may forget it.
        self._recorded(fresh)
        return web.Response(status=200)

    async def _send_due(self) -> None:
        """Keep the sender going until no message is due now (or DRAIN_TIMEOUT passes)."""
        try:
            async with asyncio.timeout(DRAIN_TIMEOUT):
                while True:
                    self.sender.wake()
                    async with self.db.transaction(short=True) as session:
                        if not await outbox.due_chats(session, self.kit.assembly.id, limit=1):
                            return
                    await asyncio.sleep(0.1)
        except TimeoutError:
            log.warning("stopping with messages still due; they are sent at the next start")
