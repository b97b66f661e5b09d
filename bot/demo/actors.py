"""Simulated people for the demo: who they are, and a driver that acts through the emulator.

Every action goes through the emulator's simulated Telegram user, so the bot sees exactly what a
phone would send; the driver only notes where in the chat each action happened, so the transcript
can put what the person did between what the bot said.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.emulator import SentMessage, SimulatedUser

WAIT = 20.0
"""Seconds to wait for one answer of the bot before the demo gives up with a clear error."""


class DemoError(Exception):
    """A phase of the demo did not get the answer it expected; the message says which."""


@dataclass(frozen=True)
class Person:
    """A simulated resident: Telegram identity, language and registration answers."""

    user_id: int
    name: str
    language: str
    profile: dict[str, str]
    household: int
    comment: str


@dataclass
class Action:
    """Something the person did, placed before the bot message at index `before` in the chat."""

    before: int
    text: str


@dataclass
class Actor:
    """Drives one simulated user and remembers what they did, in order."""

    person: Person | None
    user: SimulatedUser
    actions: list[Action] = field(default_factory=list)

    @property
    def messages(self) -> list[SentMessage]:
        return self.user.messages

    async def say(self, text: str) -> int:
        """Type `text`; returns how many bot messages there were before it."""
        since = len(self.messages)
        self.actions.append(Action(since, text))
        await self.user.send_text(text)
        return since

    async def press(self, data: str) -> int:
        """Press the newest button carrying `data`; returns how many bot messages there were before."""
        since = len(self.messages)
        label = next(
            (
                b.text
                for m in reversed(self.messages)
                for row in m.buttons
                for b in row
                if b.callback_data == data
            ),
            data,
        )
        self.actions.append(Action(since, f"[presses “{label}”]"))
        await self.user.press(data)
        return since

    async def share_contact(self, phone: str) -> int:
        since = len(self.messages)
        self.actions.append(Action(since, f"[shares the contact {phone}]"))
        await self.user.share_contact(phone)
        return since

    async def until(
        self, check: Callable[[SentMessage], bool], since: int = 0, what: str = "an answer"
    ) -> SentMessage:
        """The first bot message from index `since` on that passes `check` (edits count too)."""
        try:
            async with asyncio.timeout(WAIT):
                while True:
                    for message in self.messages[since:]:
                        if check(message):
                            return message
                    await asyncio.sleep(0.02)
        except TimeoutError:
            last = (self.messages[-1].text or "")[:80] if self.messages else "nothing"
            raise DemoError(
                f"user {self.user.id} waited {WAIT:g}s for {what}; the bot last said {last!r}"
            ) from None

    async def button(self, prefix: str, since: int = 0) -> SentMessage:
        """Wait for a message offering a button whose data starts with `prefix`."""
        return await self.until(lambda m: has_button(m, prefix), since, f"a button {prefix}")

    async def reply(self, since: int) -> SentMessage:
        """Wait for any new message after index `since`."""
        return await self.until(lambda _: True, since, "a reply")


def has_button(message: SentMessage, prefix: str) -> bool:
    return any((b.callback_data or "").startswith(prefix) for row in message.buttons for b in row)


def buttons(message: SentMessage, prefix: str) -> list[str]:
    return [
        b.callback_data or ""
        for row in message.buttons
        for b in row
        if (b.callback_data or "").startswith(prefix)
    ]
