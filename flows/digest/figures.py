"""The digest's figures: what the store aggregates for one digest (SQL views and GROUP BY queries)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flows.status import ParticipantStatus


@dataclass(frozen=True)
class Stratum:
    """Registrations with one feature value, against its quota (`None` bounds: no panel size declared)."""

    feature: str
    value: str
    registered: int
    confirmed: int
    min_seats: int | None
    max_seats: int | None
    gap: int


@dataclass(frozen=True)
class SessionFigures:
    key: str
    starts_at: datetime
    cancelled: bool
    coming: int
    absent: int
    attended: int
    late: int


@dataclass(frozen=True)
class PollFigures:
    """One poll since the last digest: where, what, and how many of those asked answered."""

    session_key: str
    table_no: int | None
    question: Mapping[str, str]
    recipients: int
    answers: int
    closed: bool


@dataclass(frozen=True)
class FeedbackFigures:
    """Ratings of one question at one session (count and average), or comments in one language."""

    session_key: str
    kind: str
    item: str
    answers: int
    average: float | None


@dataclass(frozen=True)
class DigestData:
    """Everything one digest shows, already aggregated by the store (SQL views and GROUP BY queries)."""

    generated_at: datetime
    since: datetime | None
    new_registrations: int
    statuses: dict[str, int]
    strata: tuple[Stratum, ...]
    sessions: tuple[SessionFigures, ...]
    next_session: str | None
    blocked_participants: int
    failed_sends: int
    undelivered_blocked: int
    polls: tuple[PollFigures, ...] = ()
    feedback: tuple[FeedbackFigures, ...] = ()

    @property
    def confirmed(self) -> int:
        return self.statuses.get(ParticipantStatus.CONFIRMED.value, 0)
