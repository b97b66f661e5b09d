"""Who flows deal with: participants, facilitator and organiser roles, and their dashboard sign-in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Participant:
    """A person talking to the bot, as flows see them (no ORM row ever leaves the store)."""

    id: int
    user_id: int
    chat_id: int
    language: str


FACILITATOR, ORGANISER = "facilitator", "organiser"
ROLES = (FACILITATOR, ORGANISER)


class RoleStore(Protocol):
    """Facilitator and organiser roles, granted through one-time invite codes."""

    async def redeem(self, code: str, participant_id: int, name: str, now: dt.datetime) -> str | None:
        """Spend an invite code: the role granted, or None when the code is unknown, used or expired.
        `name` is how participants will see the facilitator (their Telegram first name)."""
        ...

    async def names(self, participant_ids: Sequence[int]) -> dict[int, str]:
        """The names role holders gave when they joined."""
        ...

    async def roles(self, participant_id: int) -> set[str]: ...

    async def holders(self, role: str) -> list[int]:
        """Participant ids holding `role`, in the order they got it."""
        ...


class DashboardAccess(Protocol):
    """Sign-in links to the web dashboard, which the bot hands to facilitators and organisers."""

    async def issue_link(self, participant_id: int, now: dt.datetime, valid: dt.timedelta) -> str:
        """A new one-time sign-in token for this person, valid for `valid`; the store keeps only its hash."""
        ...
