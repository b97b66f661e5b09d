"""The registration port: status, consent, answers, invitations and seats, for registration, confirmations,
/mydata and /forget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from flows.actions import Action
from flows.status import ParticipantStatus


class InvitationOutcome(StrEnum):
    """What claiming an invitation code (`/start <code>`) came to."""

    ACCEPTED = "accepted"  # new, or already claimed by this same person
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Seat:
    """A participant's place in a draw: asked to confirm by `deadline` (None for reserves)."""

    selection_id: int
    role: str
    deadline: datetime | None


@dataclass(frozen=True)
class Reserve:
    """A reserve of a draw, with the feature values used to find the best match for a free seat."""

    participant_id: int
    rank: int
    features: dict[str, Any]


@dataclass(frozen=True)
class Reachable:
    """Where and in which language to write to someone other than the current sender."""

    participant_id: int
    chat_id: int
    language: str


class RegistrationStore(Protocol):
    """Registration data on the caller's transaction; answers are stored per question, queryable."""

    async def status(self, participant_id: int) -> ParticipantStatus: ...

    async def set_status(self, participant_id: int, status: ParticipantStatus, now: datetime) -> None: ...

    async def record_consent(self, participant_id: int, version: str, now: datetime) -> None: ...

    async def open_by_phone(self, language: str, consent_version: str, now: datetime) -> int:
        """A person without Telegram whom staff register by phone, consent to `consent_version` given on
        the phone: stored like a paper registration, status registering until confirmed. Their id."""
        ...

    async def registered_by_phone(self, participant_id: int, staff_id: int, now: datetime) -> None:
        """Audit that staff member `staff_id` took this person's registration by phone (not the answers)."""
        ...

    async def drop_by_phone(self, participant_id: int) -> None:
        """Discard a registration by phone still under way: its answers and the person's row."""
        ...

    async def answers(self, participant_id: int) -> dict[str, Any]: ...

    async def save_answer(self, participant_id: int, question_id: str, value: Any, now: datetime) -> None: ...

    async def clear_answers(self, participant_id: int) -> None: ...

    async def invited(self, participant_id: int) -> bool:
        """Whether the person holds an invitation (claimed earlier with /start <code>)."""
        ...

    async def claim_invitation(self, code: str, participant_id: int, now: datetime) -> InvitationOutcome: ...

    async def personal_data(self, participant_id: int) -> dict[str, Any]:
        """Everything stored about the person, as plain JSON-ready values."""
        ...

    async def erase(self, participant_id: int, status: ParticipantStatus) -> None:
        """Remove personal data and message logs; keep an anonymous row with `status` for counts."""
        ...

    async def discard(self, participant_id: int) -> None:
        """Remove a record that holds nothing but a Telegram id (see `personal_data`), row and all."""
        ...

    async def seat(self, participant_id: int) -> Seat | None: ...

    async def close_seat(
        self, participant_id: int, selection_id: int, outcome: str, now: datetime
    ) -> None: ...

    async def reserves(self, selection_id: int, features: Sequence[str]) -> list[Reserve]:
        """The draw's reserves not yet asked, in draw order, with their values of `features`."""
        ...

    async def offer_seat(
        self, participant_id: int, selection_id: int, now: datetime, deadline: datetime, replaces: int
    ) -> Reachable: ...

    async def reach(self, participant_id: int) -> Reachable: ...

    async def notify(self, chat_id: int, actions: Sequence[Action]) -> None:
        """Queue messages for another chat in the outbox (a reply goes back with the step's result)."""
        ...
