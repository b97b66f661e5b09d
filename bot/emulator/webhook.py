"""Telegram's side of a webhook: queued updates are POSTed to the URL setWebhook named, with its
secret token, and an update leaves the queue only once the bot answered 200 (anything else, or a
connection that fails, is retried after a pause, as Telegram does)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import aiohttp

from bot.emulator.state import State

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class Delivery:
    """One POST of an update to the webhook and the HTTP status it got (0: no answer at all)."""

    update_id: int
    status: int


class WebhookPusher:
    """Delivers updates one at a time in update order, so each chat's updates arrive in order."""

    def __init__(self, state: State, retry_pause: float = 0.2) -> None:
        self.state = state
        self.retry_pause = retry_pause
        self.deliveries: list[Delivery] = []

    async def run(self) -> None:
        """Deliver until cancelled; idle while no webhook is set (the bot polls instead)."""
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                queued = self.state.updates.peek(1) if self.state.webhook.url else []
                if not queued:
                    await self._idle()
                    continue
                update = queued[0]
                status = await self._post(http, update)
                self.deliveries.append(Delivery(int(update["update_id"]), status))
                if status == 200:
                    self.state.updates.drop(int(update["update_id"]))
                else:
                    await asyncio.sleep(self.retry_pause)

    async def _idle(self) -> None:
        """Until an update arrives, or briefly (a webhook may be set meanwhile)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.05):
                await self.state.updates.arrival()

    async def _post(self, http: aiohttp.ClientSession, update: dict[str, object]) -> int:
        webhook = self.state.webhook
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            async with http.post(webhook.url, json=update, headers=headers) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0
