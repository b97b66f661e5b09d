"""What every Telegram framework adapter provides, and the neutral errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.store.updates import Received
from flows.actions import Action


@dataclass(frozen=True)
class Delivery:
    """What the Bot API answered to a send: the message id and, for polls, the poll id."""

    message_id: int | None = None
    poll_id: str | None = None


class ApiError(Exception):
    """Base of the neutral errors; the message never contains personal data."""


class RetryLater(ApiError):
    """429: wait `seconds`, then try the same call again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"flood control, retry after {seconds} s")
        self.seconds = seconds


class Blocked(ApiError):
    """403: the person blocked the bot or deleted their account."""


class Rejected(ApiError):
    """400 and other permanent refusals: retrying the same call cannot help."""


class Transient(ApiError):
    """5xx, timeouts and dropped connections: retry with backoff."""


class Unauthorized(ApiError):
    """401/404 on the token: the bot cannot run at all."""


class TelegramApi(Protocol):
    """One framework's view of the Bot API, reduced to what the runtime needs."""

    name: str

    async def identity(self) -> tuple[int, str]: ...

    async def get_updates(self, offset: int | None, timeout: int) -> list[Received]: ...

    async def perform(self, action: Action) -> Delivery: ...

    def parse_update(self, data: dict[str, Any]) -> Received:
        """One update as a webhook delivers it (JSON already decoded); raises on anything else."""
        ...

    async def set_webhook(
        self, url: str, secret: str, allowed_updates: list[str], max_connections: int
    ) -> None: ...

    async def delete_webhook(self) -> None: ...

    async def set_commands(
        self, commands: list[tuple[str, str]], language: str | None, chat_id: int | None = None
    ) -> None:
        """The command menu for all private chats in `language`, or for one chat (`chat_id`) when given."""
        ...

    async def close(self) -> None: ...
