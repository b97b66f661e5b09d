"""The emulated Telegram side: chats with their messages, polls, files, commands and updates."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.objects import JSON, poll_option_json, private_chat_json, user_json
from bot.emulator.records import SentMessage

# Kinds delivered when allowed_updates is empty or was never set (Bot API getUpdates docs).
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class Chat:
    """A private chat with one simulated user; its message ids are sequential per chat."""

    user: JSON
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, JSON] = field(default_factory=dict)
    sent: list[SentMessage] = field(default_factory=list)
    callback_answers: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def json(self) -> JSON:
        return private_chat_json(self.user)

    def new_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def sent_by_id(self, message_id: int) -> SentMessage | None:
        return next((m for m in self.sent if m.message_id == message_id), None)

    def notify(self) -> None:
        """Wake whoever waits for this chat to change (wait_for_messages)."""
        self.changed.set()
        self.changed = asyncio.Event()


@dataclass
class Poll:
    """A poll the bot sent, with each voter's current choice."""

    id: str
    chat_id: int
    message_id: int
    question: str
    options: list[str]
    is_anonymous: bool = True
    type: str = "regular"
    allows_multiple_answers: bool = False
    allows_revoting: bool = True
    members_only: bool = False
    closed: bool = False
    close_at: float | None = None
    votes: dict[int, list[int]] = field(default_factory=dict)

    @property
    def is_closed(self) -> bool:
        return self.closed or (self.close_at is not None and time.time() >= self.close_at)

    def json(self) -> JSON:
        counts = [0] * len(self.options)
        for choice in self.votes.values():
            for index in choice:
                counts[index] += 1
        data: JSON = {
            "id": self.id,
            "question": self.question,
            "options": [poll_option_json(text, counts[i], str(i)) for i, text in enumerate(self.options)],
            "total_voter_count": sum(1 for choice in self.votes.values() if choice),
            "is_closed": self.is_closed,
            "is_anonymous": self.is_anonymous,
            "type": self.type,
            "allows_multiple_answers": self.allows_multiple_answers,
            "allows_revoting": self.allows_revoting,
            "members_only": self.members_only,
        }
        if self.close_at is not None:
            data["close_date"] = int(self.close_at)
        return data

    def summary(self) -> dict[str, Any]:
        """The compact view exposed on SentMessage.poll."""
        data = self.json()
        return {
            "id": self.id,
            "question": self.question,
            "options": list(self.options),
            "voter_counts": [o["voter_count"] for o in data["options"]],
            "is_anonymous": self.is_anonymous,
            "allows_multiple_answers": self.allows_multiple_answers,
            "is_closed": self.is_closed,
        }


@dataclass
class StoredFile:
    """An uploaded file, served back under /file/bot<token>/<path>."""

    file_id: str
    unique_id: str
    data: bytes
    name: str | None
    mime_type: str | None
    path: str


@dataclass
class CallbackQuery:
    """A callback query the bot may answer once."""

    chat_id: int
    answered: bool = False


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40


class UpdateQueue:
    """Updates awaiting confirmation by a getUpdates offset, with long-poll wake-ups."""

    def __init__(self, first_id: int = 1) -> None:
        self._ids = itertools.count(first_id)
        self._items: list[JSON] = []
        self._arrived = asyncio.Event()
        self.allowed: list[str] = []
        self.history: dict[int, JSON] = {}

    def __len__(self) -> int:
        return len(self._items)

    def accepts(self, kind: str) -> bool:
        """Telegram filters when an update is created, so later changes do not affect it."""
        if self.allowed:
            return kind in self.allowed
        return kind not in DEFAULT_EXCLUDED

    def push(self, kind: str, payload: JSON) -> JSON | None:
        """Queue an update unless allowed_updates filters its kind out; return it if queued."""
        if not self.accepts(kind):
            return None
        update_id = next(self._ids)
        update: JSON = {"update_id": update_id, kind: payload}
        self.history[update_id] = update
        self._items.append(update)
        self._wake()
        return update

    def redeliver(self, update_id: int) -> None:
        """Queue an update again with its original id, as Telegram does when it believes the
        bot never got it (a lost acknowledgement, a webhook retry)."""
        if all(u["update_id"] != update_id for u in self._items):
            self._items.append(self.history[update_id])
            self._items.sort(key=lambda u: int(u["update_id"]))
        self._wake()

    def _wake(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()

    def confirm(self, offset: int) -> None:
        """Apply getUpdates' offset: positive confirms earlier ids, negative keeps only the tail."""
        if offset > 0:
            self._items = [u for u in self._items if u["update_id"] >= offset]
        elif offset < 0:
            self._items = self._items[offset:]

    def drop(self, update_id: int) -> None:
        """Forget one update, as a webhook delivery answered 200 does."""
        self._items = [u for u in self._items if u["update_id"] != update_id]

    def peek(self, limit: int) -> list[JSON]:
        return self._items[:limit]

    def clear(self) -> None:
        self._items.clear()

    async def arrival(self) -> None:
        """Return once the next update is queued."""
        await self._arrived.wait()


class State:
    """Everything the emulated Telegram remembers for one bot."""

    def __init__(self, bot_id: int, first_update_id: int = 1) -> None:
        self.bot_id = bot_id
        self.chats: dict[int, Chat] = {}
        self.updates = UpdateQueue(first_update_id)
        self.polls: dict[str, Poll] = {}
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.commands: dict[tuple[str, int | None, str], list[tuple[str, str]]] = {}
        self.webhook = Webhook()
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        """A fresh number for poll, callback and file ids."""
        return next(self._ids)

    def add_chat(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> Chat:
        user = user_json(
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        chat = Chat(user=user)
        self.chats[user_id] = chat
        return chat

    def store_file(self, data: bytes, name: str | None, mime_type: str | None, kind: str) -> StoredFile:
        number = self.next_id()
        suffix = f".{name.rsplit('.', 1)[-1]}" if name and "." in name else ""
        stored = StoredFile(
            file_id=f"{kind}-{self.bot_id}-{number}",
            unique_id=f"u{number}",
            data=data,
            name=name,
            mime_type=mime_type,
            path=f"{kind}s/file_{number}{suffix}",
        )
        self.files[stored.file_id] = stored
        return stored
