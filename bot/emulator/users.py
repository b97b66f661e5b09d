"""Simulated users: what a person does in the Telegram app, turned into queued updates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from bot.emulator.methods import refresh_poll
from bot.emulator.objects import JSON, command_entities
from bot.emulator.records import Button, SentMessage
from bot.emulator.state import CallbackQuery, Chat, Poll, State


class SimulatedUser:
    """One person in a private chat with the bot, driven from tests or a demo.

    Actions queue the updates Telegram would deliver; reads show what the bot sent back.
    """

    def __init__(self, state: State, chat: Chat) -> None:
        self._state = state
        self._chat = chat

    def __repr__(self) -> str:
        return f"SimulatedUser({self.id}, {self.first_name!r})"

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def first_name(self) -> str:
        return str(self._chat.user["first_name"])

    @property
    def language_code(self) -> str | None:
        return self._chat.user.get("language_code")

    @property
    def json(self) -> JSON:
        """The User object the bot sees in this user's updates."""
        return dict(self._chat.user)

    # -- what the bot sent --------------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        return self._chat.sent

    @property
    def last(self) -> SentMessage:
        if not self._chat.sent:
            raise LookupError(f"the bot has sent nothing to user {self.id}")
        return self._chat.sent[-1]

    @property
    def callback_answers(self) -> list[str]:
        return self._chat.callback_answers

    @property
    def keyboard(self) -> list[list[Button]]:
        """The reply keyboard currently shown: the newest one sent, until one removes it."""
        for message in reversed(self._chat.sent):
            if message.remove_keyboard:
                return []
            if message.reply_buttons:
                return message.reply_buttons
        return []

    async def wait_for_messages(
        self,
        n: int,
        timeout: float = 10.0,
    ) -> list[SentMessage]:
        """Wait until the bot has sent at least `n` messages to this chat; return them all."""
        try:
            async with asyncio.timeout(timeout):
                while len(self._chat.sent) < n:
                    await self._chat.changed.wait()
        except TimeoutError:
            got = [m.text or m.caption or ("poll" if m.poll else "file") for m in self._chat.sent]
            raise TimeoutError(
                f"user {self.id} expected {n} bot messages within {timeout}s, got {len(got)}: {got!r}"
            ) from None
        return list(self._chat.sent)

    # -- blocking -----------------------------------------------------------------------------

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    def block(self) -> None:
        self._chat.blocked = True

    def unblock(self) -> None:
        self._chat.blocked = False

    # -- actions ------------------------------------------------------------------------------

    def _message(self, content: JSON) -> JSON:
        message: JSON = {
            "message_id": self._chat.new_message_id(),
            "from": self.json,
            "chat": self._chat.json,
            "date": int(time.time()),
            **content,
        }
        self._chat.messages[message["message_id"]] = message
        return message

    async def send_text(self, text: str) -> int:
        """Type and send `text`; /commands get bot_command entities. Returns the message id."""
        if not text:
            raise ValueError("Telegram does not send empty messages")
        content: JSON = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        message = self._message(content)
        self._state.updates.push("message", message)
        await asyncio.sleep(0)
        return int(message["message_id"])

    async def share_contact(self, phone_number: str, *, of_user: int | None = -1) -> int:
        """Share one's own contact, as a request_contact button does; `of_user` shares someone
        else's instead (a Telegram user id, or None for a phone-book entry without one)."""
        contact: JSON = {"phone_number": phone_number, "first_name": self.first_name}
        owner = self.id if of_user == -1 else of_user
        if owner is not None:
            contact["user_id"] = owner
        if owner == self.id and "last_name" in self._chat.user:
            contact["last_name"] = self._chat.user["last_name"]
        message = self._message({"contact": contact})
        self._state.updates.push("message", message)
        await asyncio.sleep(0)
        return int(message["message_id"])

    async def press(self, label: str) -> str:
        """Press the inline button labelled (or carrying callback_data) `label`.

        The newest message holding such a button wins, as a user scrolls up only when needed.
        Returns the callback query id.
        """
        for sent in reversed(self._chat.sent):
            for row in sent.buttons:
                for button in row:
                    if label in (button.text, button.callback_data) and button.callback_data:
                        return await self._callback(sent.message_id, button.callback_data)
        newest = self._chat.sent[-1].button_texts if self._chat.sent else []
        raise LookupError(f"no inline button {label!r} in chat {self.id}; newest message has {newest!r}")

    async def press_data(self, data: str, message_id: int | None = None) -> str:
        """Send a callback query with arbitrary data, as a forged or stale button would."""
        if message_id is None:
            message_id = self.last.message_id
        elif self._chat.sent_by_id(message_id) is None:
            raise LookupError(f"the bot sent no message {message_id} to user {self.id}")
        return await self._callback(message_id, data)

    async def _callback(self, message_id: int, data: str) -> str:
        query_id = str(7_000_000_000_000 + self._state.next_id())
        self._state.callback_queries[query_id] = CallbackQuery(self._chat.id)
        self._state.updates.push(
            "callback_query",
            {
                "id": query_id,
                "from": self.json,
                "chat_instance": str(-self._chat.id * 7919),
                "message": dict(self._chat.messages[message_id]),
                "data": data,
            },
        )
        await asyncio.sleep(0)
        return query_id

    async def answer_poll(self, poll: int | str, option_ids: Sequence[int]) -> None:
        """Vote in a poll by its message id (int) or poll id (str); [] retracts the vote.

        Queues a `poll` update with the new counts and, for non-anonymous polls, a `poll_answer`.
        """
        target = self._find_poll(poll)
        choice = sorted(set(option_ids))
        if target.is_closed:
            raise ValueError(f"poll {target.id} is closed")
        if any(not 0 <= i < len(target.options) for i in choice):
            raise ValueError(f"poll {target.id} has {len(target.options)} options, got {choice}")
        if len(choice) > 1 and not target.allows_multiple_answers:
            raise ValueError(f"poll {target.id} allows a single answer")
        if self.id in target.votes and not target.allows_revoting:
            raise ValueError(f"poll {target.id} does not allow changing a vote")
        if choice:
            target.votes[self.id] = choice
        else:
            target.votes.pop(self.id, None)
        refresh_poll(self._state, target)
        self._state.updates.push("poll", target.json())
        if not target.is_anonymous:
            self._state.updates.push(
                "poll_answer",
                {
                    "poll_id": target.id,
                    "option_ids": choice,
                    "option_persistent_ids": [str(i) for i in choice],
                    "user": self.json,
                },
            )
        await asyncio.sleep(0)

    def _find_poll(self, poll: int | str) -> Poll:
        if isinstance(poll, str):
            found = self._state.polls.get(poll)
        else:
            found = next(
                (p for p in self._state.polls.values() if (p.chat_id, p.message_id) == (self.id, poll)),
                None,
            )
        if found is None:
            raise LookupError(f"no poll {poll!r} in chat {self.id}")
        return found
