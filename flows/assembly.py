"""The assembly definition: what organisers declare in YAML, validated before anything runs."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from flows.languages import SHIPPED
from flows.questionnaire import Registration

LocalizedText = dict[str, Annotated[str, Field(min_length=1, max_length=3000)]]
"""A text per language code; every offered language must be present."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_SHORT_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def _duration(value: object) -> object:
    """Accept the short forms organisers write ("7d", "2h", "30m"); pydantic handles ISO 8601 ("PT2H")."""
    if isinstance(value, str) and (match := _SHORT_DURATION.match(value)):
        return timedelta(**{_UNITS[match[2]]: int(match[1])})
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
"""A span of time written as "7d", "1d", "2h", "30m" or ISO 8601 ("P7D", "PT2H")."""


class Session(_Strict):
    """One meeting of the assembly; `starts` and `ends` are wall-clock times in the assembly's timezone."""

    id: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: LocalizedText
    place: LocalizedText
    starts: datetime
    ends: datetime
    online_link: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None
    cancelled: bool = False
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    """Where the venue is, for a map pin in Telegram and in calendars: both or neither."""

    @field_validator("starts", "ends")
    @classmethod
    def _wall_clock(cls, value: datetime) -> datetime:
        if value.tzinfo is not None:
            raise ValueError(
                "write the local time without an offset, e.g. 2027-03-06T09:30; the timezone applies"
            )
        return value

    @model_validator(mode="after")
    def _order(self) -> Session:
        if self.ends <= self.starts:
            raise ValueError(f"session '{self.id}' ends before it starts")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError(f"session '{self.id}': give both latitude and longitude, or neither")
        return self


class Reminders(_Strict):
    """When participants are reminded of each session, and how late a missed reminder may still go."""

    offsets: list[Duration] = Field(
        default_factory=lambda: [timedelta(days=7), timedelta(days=1), timedelta(hours=2)]
    )
    grace: Duration = timedelta(hours=3)

    @field_validator("offsets")
    @classmethod
    def _positive(cls, value: list[timedelta]) -> list[timedelta]:
        if any(offset <= timedelta(0) for offset in value):
            raise ValueError("every offset must be a positive duration before the session, e.g. 2h")
        if len(set(value)) != len(value):
            raise ValueError("an offset is listed twice")
        return sorted(value, reverse=True)


class CheckIn(_Strict):
    """When a session's check-in code works, and from when an arrival counts as late."""

    opens_before: Duration = timedelta(hours=1)
    late_after: Duration = timedelta(minutes=15)


Slug = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class Tables(_Strict):
    """How the people of a session sit: table size, features spread across tables or kept together."""

    size: Annotated[int, Field(ge=2, le=30)] = 8
    count: Annotated[int, Field(ge=1, le=100)] | None = None
    balance: list[str] = Field(default_factory=list)
    cluster: list[str] = Field(default_factory=list)
    min_result: Annotated[int, Field(ge=1, le=50)] = 3

    @model_validator(mode="after")
    def _disjoint(self) -> Tables:
        both = set(self.balance) & set(self.cluster)
        if both:
            raise ValueError(f"a feature cannot be both balanced and clustered: {', '.join(sorted(both))}")
        return self


PollKind = Literal["single", "multiple", "scale", "proposal", "score", "dots", "ranking", "text"]
WITH_OPTIONS: frozenset[str] = frozenset({"single", "multiple", "dots", "ranking"})
SECRET_KINDS: frozenset[str] = frozenset({"single", "scale", "proposal", "score"})
"""Kinds answered in one press (plus a block reason): a secret ballot leaves no draft behind."""
THRESHOLD_KINDS: frozenset[str] = frozenset({"proposal", "scale"})


class PollTemplate(_Strict):
    """A poll a facilitator can start in one tap; texts per language."""

    id: Slug
    kind: PollKind
    question: LocalizedText
    options: list[LocalizedText] = Field(default_factory=list, max_length=10)
    none_option: bool = False
    scale: Literal["agree5", "gradients"] = "agree5"
    score_max: Annotated[int, Field(ge=2, le=10)] = 10
    points: Annotated[int, Field(ge=2, le=20)] = 10
    method: Literal["borda", "irv"] = "borda"
    secret: bool = False
    hide_results: bool = False
    share_results: bool = False
    quorum: Annotated[int, Field(ge=1)] | None = None
    threshold: Annotated[float, Field(gt=0, le=1)] | None = None
    duration: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _secret_hides_results(cls, data: Any) -> Any:
        """A secret ballot never shows a running result, so `secret: true` implies `hide_results`;
        saying `hide_results: false` beside it asks for the impossible and is refused, not ignored."""
        if not isinstance(data, dict) or data.get("secret") is not True:
            return data
        if data.get("hide_results", True) is not True:
            poll = data.get("id")
            raise ValueError(f"poll '{poll}': a secret ballot always hides its results until closed")
        return {**data, "hide_results": True}

    @model_validator(mode="after")
    def _coherent(self) -> PollTemplate:
        if self.kind in WITH_OPTIONS and len(self.options) < 2:
            raise ValueError(f"poll '{self.id}' ({self.kind}) needs at least two options")
        if self.kind not in WITH_OPTIONS and self.options:
            raise ValueError(f"poll '{self.id}' ({self.kind}) takes no options")
        if self.none_option and self.kind != "single":
            raise ValueError(f"poll '{self.id}': none_option is for single-choice polls")
        if self.secret and self.kind not in SECRET_KINDS:
            kinds = ", ".join(sorted(SECRET_KINDS))
            raise ValueError(f"poll '{self.id}': a secret ballot must be one of {kinds}")
        if self.threshold is not None and self.kind not in THRESHOLD_KINDS:
            raise ValueError(f"poll '{self.id}': a pass threshold applies to proposal and scale polls")
        return self


class Rating(_Strict):
    """A 1-5 rating question of the post-session evaluation."""

    id: Slug
    text: LocalizedText


class Feedback(_Strict):
    """The short evaluation checked-in participants get when a session ends."""

    ratings: list[Rating] = Field(default_factory=list, max_length=5)
    comment: LocalizedText | None = None


class Digest(_Strict):
    """The organisers' daily digest: when it goes out, to whom, and the panel size the quotas are for.

    `recipients` are Telegram user ids (the organiser role arrives with role invites and will
    replace this list); `seats` is the panel size the lottery draws (its `--seats`), so the digest
    can show each quota's bounds and how many registrations are still missing.
    """

    at: time = time(7, 30)
    recipients: list[int] = Field(default_factory=list)
    seats: Annotated[int, Field(ge=1)] | None = None


class Retention(_Strict):
    """How long personal data is kept: the privacy notice's promise, kept by a scheduled erasure."""

    after_last_session_days: Annotated[int, Field(ge=1, le=3650)]


class Assembly(_Strict):
    """One citizens' assembly: identity, languages, timezone and what participants are told."""

    id: Annotated[str, Field(min_length=2, max_length=40)]
    name: LocalizedText
    welcome: LocalizedText
    languages: Annotated[list[str], Field(min_length=1)]
    fallback_language: str
    timezone: str
    organiser_contact: str = ""
    sessions: list[Session] = Field(default_factory=list)
    reminders: Reminders = Field(default_factory=Reminders)
    checkin: CheckIn = Field(default_factory=CheckIn)
    bot_username: Annotated[str, Field(max_length=64)] = ""
    registration: Registration | None = None
    digest: Digest | None = None
    retention: Retention | None = None

    tables: Tables = Field(default_factory=Tables)
    polls: list[PollTemplate] = Field(default_factory=list)
    feedback: Feedback = Field(default_factory=Feedback)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
            raise ValueError("use lower-case letters, digits and dashes, e.g. 'brussels-climate-2027'")
        return value

    @field_validator("languages")
    @classmethod
    def _shipped(cls, value: list[str]) -> list[str]:
        for code in value:
            if code not in SHIPPED:
                raise ValueError(f"'{code}' has no catalog; choose from {', '.join(SHIPPED)}")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone '{value}', e.g. 'Europe/Brussels'") from None
        return value

    @model_validator(mode="after")
    def _complete(self) -> Assembly:
        if self.fallback_language not in self.languages:
            raise ValueError(f"fallback_language '{self.fallback_language}' is not one of languages")
        localized: list[tuple[str, dict[str, str]]] = [("name", self.name), ("welcome", self.welcome)]
        if self.registration is not None:
            localized += self.registration.localized()
        for where, texts in localized:
            missing = [code for code in self.languages if code not in texts]
            if missing:
                raise ValueError(f"{where} has no text for {', '.join(missing)}")
        if self.registration is not None:
            known = {q.id for q in self.registration.questions if q.kind in ("choice", "yes_no")} | {
                "language"
            }
            unknown = [f for f in (*self.tables.balance, *self.tables.cluster) if f not in known]
            if unknown:
                raise ValueError(
                    f"tables: {', '.join(unknown)} is not a single-choice registration question or 'language'"
                )
        seen: set[str] = set()
        for session in self.sessions:
            if session.id in seen:
                raise ValueError(f"session id '{session.id}' is used twice")
            seen.add(session.id)
            for field_name in ("title", "place"):
                missing = [code for code in self.languages if code not in getattr(session, field_name)]
                if missing:
                    languages = ", ".join(missing)
                    raise ValueError(f"session '{session.id}' {field_name} has no text for {languages}")
        ids = [poll.id for poll in self.polls]
        if len(set(ids)) != len(ids):
            raise ValueError("a poll id is used twice")
        for poll in self.polls:
            for index, texts in enumerate([poll.question, *poll.options]):
                self._complete_texts(
                    texts, f"poll '{poll.id}' " + ("question" if not index else f"option {index}")
                )
        for rating in self.feedback.ratings:
            self._complete_texts(rating.text, f"feedback rating '{rating.id}'")
        if self.feedback.comment is not None:
            self._complete_texts(self.feedback.comment, "feedback comment")
        return self

    def _complete_texts(self, texts: dict[str, str], where: str) -> None:
        missing = [code for code in self.languages if code not in texts]
        if missing:
            raise ValueError(f"{where} has no text for {', '.join(missing)}")

    def poll(self, poll_id: str) -> PollTemplate | None:
        return next((p for p in self.polls if p.id == poll_id), None)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def session(self, session_id: str) -> Session | None:
        return next((s for s in self.sessions if s.id == session_id), None)

    def start_of(self, session: Session) -> datetime:
        """The session's start as an aware datetime in the assembly's timezone."""
        return session.starts.replace(tzinfo=self.zone)

    def end_of(self, session: Session) -> datetime:
        return session.ends.replace(tzinfo=self.zone)

    def erasure_due(self) -> datetime | None:
        """When personal data is erased: the end of the last session held (not cancelled) plus the
        retention period; None without a retention period or a session."""
        ends = [self.end_of(session) for session in self.sessions if not session.cancelled]
        if self.retention is None or not ends:
            return None
        return max(ends) + timedelta(days=self.retention.after_last_session_days)

    def text(self, texts: dict[str, str], language: str) -> str:
        """Pick the text for `language`, else the fallback language's."""
        return texts.get(language) or texts[self.fallback_language]
