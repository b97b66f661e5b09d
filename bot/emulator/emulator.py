"""The Emulator facade: one local Bot API server for one bot, plus its simulated users."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from types import TracebackType

from bot.emulator import people
from bot.emulator.faults import FaultKind, Faults
from bot.emulator.limits import Clock, Limits
from bot.emulator.methods import BotApi
from bot.emulator.records import ApiCall
from bot.emulator.server import ApiServer
from bot.emulator.state import State
from bot.emulator.users import SimulatedUser
from bot.emulator.webhook import Delivery, WebhookPusher

_TOKEN = re.compile(r"^(\d+):\S+$")

MESSAGES = frozenset({"sendMessage", "sendPoll", "sendPhoto", "sendDocument", "sendVenue"})
"""The calls Telegram counts against a bot's messages a second."""


class Emulator:
    """A local Telegram Bot API for one bot token; both aiogram and PTB can poll it.

    Build it, `await start()`, point the framework at `url`, then drive users with `user()`.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "assembly_test_bot",
        limits: Limits | None = None,
        *,
        bot_first_name: str = "Assembly Bot",
        clock: Clock = time.monotonic,
        first_update_id: int = 1,
    ) -> None:
        """`first_update_id`: where update numbering starts; a bot's store drops ids it has seen, so
        an emulator serving an existing store must start above them."""
        match = _TOKEN.match(token)
        if match is None:
            # aiogram refuses such tokens before sending anything, so fail early and clearly.
            raise ValueError("token must look like '<digits>:<secret>'")
        self.token = token
        self.state = State(bot_id=int(match[1]), first_update_id=first_update_id)
        self._api = BotApi(self.state, limits or Limits(), bot_username, bot_first_name, clock)
        self._faults = Faults()
        self._server = ApiServer(token, self._api, self.state, self._faults, clock)
        self._users: dict[int, SimulatedUser] = {}
        self._pusher = WebhookPusher(self.state)
        self._pushing: asyncio.Task[None] | None = None
        people.add_routes(self._server.app, self)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host:port` (0 picks a free port); `url` is valid afterwards."""
        await self._server.start(host, port)
        self._pushing = asyncio.create_task(self._pusher.run())

    async def stop(self) -> None:
        if self._pushing is not None:
            self._pushing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pushing
            self._pushing = None
        await self._server.stop()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL without `/bot<token>`, e.g. http://127.0.0.1:8081."""
        if not self._server.url:
            raise RuntimeError("the emulator is not started")
        return self._server.url

    @property
    def bot_id(self) -> int:
        return self.state.bot_id

    # -- users --------------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> SimulatedUser:
        """The user with this id, created on first use (later arguments are then ignored)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        chat = self.state.add_chat(
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        user = self._users[user_id] = SimulatedUser(self.state, chat)
        return user

    @property
    def users(self) -> list[SimulatedUser]:
        return list(self._users.values())

    # -- inspection and control ---------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        return self._server.calls

    @property
    def commands(self) -> dict[tuple[str, int | None, str], list[tuple[str, str]]]:
        """Command lists keyed by (scope type, chat id or None, language code or "")."""
        return self.state.commands

    @property
    def limits(self) -> Limits:
        return self._api.limits

    @limits.setter
    def limits(self, limits: Limits) -> None:
        self._api.limits = self._api.rate.limits = limits
        self._api.rate.reset()

    def reset_rate_limits(self) -> None:
        """Refill every bucket, e.g. between the phases of one test."""
        self._api.rate.reset()

    def fail_next(self, method: str, kind: FaultKind, count: int = 1, delay: float = 0.0) -> None:
        """Make the next `count` calls of `method` ("*" = any) fail in the way `kind` says."""
        self._faults.add(method, kind, count, delay)

    def pending_faults(self) -> int:
        """Faults scheduled by `fail_next` that no call has suffered yet."""
        return len(self._faults)

    def redeliver(self, update_id: int | None = None) -> int:
        """Deliver an update again (default: the newest one); returns its id."""
        updates = self.state.updates
        chosen = max(updates.history) if update_id is None else update_id
        updates.redeliver(chosen)
        return chosen

    def clear_faults(self) -> None:
        """Forget every fault still scheduled, e.g. after freezing a bot that was then killed."""
        self._faults.clear()

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every POST to the bot's webhook, in order, with the status it got."""
        return self._pusher.deliveries

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self.state.updates)

    @property
    def overlapping_polls(self) -> int:
        """getUpdates calls made while another was open (each ended the older one with 409)."""
        return self._api.overlapping_polls

    @property
    def poll_arrivals(self) -> list[float]:
        """When each getUpdates call arrived, in the emulator's clock (a call cut off unanswered too)."""
        return self._api.poll_arrivals

    def busiest_second(self, methods: frozenset[str] = MESSAGES) -> int:
        """The most messages accepted (`methods`, status 200) within any one second."""
        times = sorted(call.at for call in self.calls if call.method in methods and call.status == 200)
        most, first = 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most

    def unseen_messages(self, methods: frozenset[str] = MESSAGES) -> set[tuple[int, int]]:
        """(chat id, message id) of the messages whose send completed after its client had stopped
        waiting: delivered, though the bot never learnt it (it may well send them again)."""
        return {
            call.message
            for call in self.calls
            if call.method in methods and call.status == 200 and call.client_gone and call.message
        }

    def sent_count(self, method: str = "sendMessage") -> int:
        """Successful calls of `method`."""
        return sum(1 for call in self.calls if call.method == method and call.status == 200)
