"""Ports of the session features: RSVPs and check-ins, table seating, post-session feedback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Rsvp:
    """A participant's answer for one session: "coming" or "absent", with an optional reason."""

    answer: str
    reason: str | None = None


@dataclass(frozen=True)
class Presence:
    """A check-in at one session: when, whether late, and how it was recorded ("code" or "manual")."""

    at: dt.datetime
    late: bool
    method: str


class SessionStore(Protocol):
    """Sessions, answers and attendance, as flows need them; sessions are named by their definition id."""

    async def is_confirmed(self, participant_id: int) -> bool: ...

    async def rsvps(self, participant_id: int) -> dict[str, Rsvp]: ...

    async def set_rsvp(self, participant_id: int, session_id: str, answer: str, at: dt.datetime) -> None: ...

    async def set_rsvp_reason(self, participant_id: int, session_id: str, reason: str) -> None: ...

    async def session_for_code(self, code: str) -> str | None:
        """The id of the session whose check-in code this is, cancelled or not; None if unknown."""
        ...

    async def presences(self, participant_id: int) -> dict[str, Presence]: ...

    async def check_in(self, participant_id: int, session_id: str, presence: Presence) -> bool:
        """Record a presence; False when one was already recorded (the first one stands)."""
        ...


class TableStore(Protocol):
    """Who sits at which table in each session, pins, facilitators, and the features used to balance."""

    async def checked_in(self, session_id: str) -> list[int]: ...

    async def seating(self, session_id: str) -> dict[int, int]:
        """participant id -> table number for the session; empty before tables are assigned."""
        ...

    async def earlier_seatings(self, session_id: str) -> list[dict[int, int]]:
        """The seatings of every other session that has one, to avoid repeated pairs."""
        ...

    async def seat(
        self, session_id: str, seating: Mapping[int, int], facilitators: Mapping[int, int]
    ) -> None:
        """Record the seating (replacing one not yet made) and the facilitator of each table."""
        ...

    async def facilitators(self, session_id: str) -> dict[int, int]:
        """table number -> facilitator's participant id."""
        ...

    async def pins(self) -> dict[int, int]: ...

    async def pin(self, participant_id: int, table: int | None) -> None: ...

    async def features(self, participant_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """Selection features (age band, gender, district, ...) per participant, for balancing."""
        ...


class FeedbackStore(Protocol):
    """Post-session evaluations: 1-5 ratings and a comment with its detected language."""

    async def rate(self, session_id: str, participant_id: int, question: str, value: int) -> None: ...

    async def comment(
        self, session_id: str, participant_id: int, text: str, language: str | None
    ) -> None: ...
