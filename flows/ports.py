"""The small interfaces flows need from the outside world; `bot/` implements them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Participant:
    """A person talking to the bot, as flows see them (no ORM row ever leaves the store)."""

    id: int
    user_id: int
    chat_id: int
    language: str


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


@dataclass(frozen=True)
class PollSpec:
    """What a poll asks and how it counts; a template's fields, or what a facilitator composed."""

    kind: str
    question: Mapping[str, str]
    options: tuple[Mapping[str, str], ...] = ()
    template: str | None = None
    composed: bool = False
    none_option: bool = False
    scale: str = "agree5"
    score_max: int = 10
    points: int = 10
    method: str = "borda"
    secret: bool = False
    hide_results: bool = False
    share_results: bool = False
    quorum: int | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Poll:
    """A poll started in a session, for one table (`table`) or the whole session (`table=None`)."""

    id: int
    spec: PollSpec
    session: str
    table: int | None
    facilitator_id: int
    closed: bool
    closes_at: dt.datetime | None = None


class PollStore(Protocol):
    """Polls, their recipients and answers. A secret poll's answers are kept apart from its voters."""

    async def create(
        self,
        spec: PollSpec,
        session_id: str,
        *,
        table: int | None,
        facilitator_id: int,
        recipients: Sequence[int],
        now: dt.datetime,
        closes_at: dt.datetime | None,
    ) -> Poll: ...

    async def get(self, poll_id: int) -> Poll | None: ...

    async def is_recipient(self, poll_id: int, participant_id: int) -> bool: ...

    async def answer(
        self, poll: Poll, participant_id: int, ballot: Mapping[str, Any], now: dt.datetime
    ) -> bool:
        """Store an answer at once; a changed answer replaces the earlier one. False when a secret
        ballot was already cast (it cannot be changed: nothing links it to its voter)."""
        ...

    async def has_voted(self, poll_id: int, participant_id: int) -> bool: ...

    async def ballots(self, poll_id: int) -> list[dict[str, Any]]: ...

    async def voters(self, poll_id: int) -> list[tuple[int, bool]]:
        """Each recipient and whether they have answered; never what."""
        ...

    async def close(self, poll_id: int, now: dt.datetime) -> bool:
        """Close the poll; False when it was closed already."""
        ...

    async def recipients(self, poll_id: int) -> list[Participant]: ...

    async def sibling_ballots(self, poll: Poll) -> list[dict[str, Any]]:
        """Ballots of every closed table poll from the same template in the same session (the total)."""
        ...


class FeedbackStore(Protocol):
    """Post-session evaluations: 1-5 ratings and a comment with its detected language."""

    async def rate(self, session_id: str, participant_id: int, question: str, value: int) -> None: ...

    async def comment(
        self, session_id: str, participant_id: int, text: str, language: str | None
    ) -> None: ...


class DashboardAccess(Protocol):
    """Sign-in links to the web dashboard, which the bot hands to facilitators and organisers."""

    async def issue_link(self, participant_id: int, now: dt.datetime, valid: dt.timedelta) -> str:
        """A new one-time sign-in token for this person, valid for `valid`; the store keeps only its hash."""
        ...


class Charts(Protocol):
    """Draws a results chart as PNG bytes."""

    def bars(self, title: str, labels: Sequence[str], values: Sequence[float]) -> bytes: ...


class Store(Protocol):
    """Participant data that flows read and change inside the caller's transaction."""

    @property
    def sessions(self) -> SessionStore: ...

    @property
    def roles(self) -> RoleStore: ...

    @property
    def tables(self) -> TableStore: ...

    @property
    def polls(self) -> PollStore: ...

    @property
    def feedback(self) -> FeedbackStore: ...

    @property
    def dashboard(self) -> DashboardAccess: ...

    async def participants(self, participant_ids: Sequence[int]) -> list[Participant]: ...

    async def participant(self, user_id: int) -> Participant | None: ...

    async def add_participant(self, user_id: int, chat_id: int, language: str) -> Participant: ...

    async def set_language(self, participant_id: int, language: str) -> None: ...


class Translator(Protocol):
    """Gettext and Babel formatting for one language, in the assembly's timezone."""

    language: str

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def datetime(self, value: dt.datetime, format: str = "medium") -> str: ...

    def date(self, value: dt.date | dt.datetime, format: str = "long") -> str: ...

    def time(self, value: dt.datetime, format: str = "short") -> str:
        """A time of day in the assembly's timezone ("09:30", "9:30 AM")."""
        ...

    def number(self, value: float) -> str: ...

    def language_name(self, code: str) -> str:
        """The name of language `code` in this translator's language ("néerlandais")."""
        ...


class Translations(Protocol):
    """Hands out a translator per language code."""

    def for_language(self, language: str) -> Translator: ...


class LanguageDetector(Protocol):
    """Guesses the language of free text; None when unsure or the text is too short."""

    def detect(self, text: str) -> str | None: ...


class Clock(Protocol):
    """Injected time, so tests of timed behaviour never sleep."""

    def now(self) -> dt.datetime: ...
