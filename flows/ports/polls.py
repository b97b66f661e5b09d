"""The polls port: what a poll asks (`PollSpec`), a started poll, and the store that keeps its answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from flows.assembly import PollKind
from flows.polls.votes import Ballot
from flows.ports.people import Participant


@dataclass(frozen=True)
class PollSpec:
    """What a poll asks and how it counts; a template's fields, or what a facilitator composed."""

    kind: PollKind
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

    async def answer(self, poll: Poll, participant_id: int, ballot: Ballot, now: dt.datetime) -> bool:
        """Store an answer at once; a changed answer replaces the earlier one. False when a secret
        ballot was already cast (it cannot be changed: nothing links it to its voter)."""
        ...

    async def has_voted(self, poll_id: int, participant_id: int) -> bool: ...

    async def ballots(self, poll_id: int) -> list[Ballot]: ...

    async def voters(self, poll_id: int) -> list[tuple[int, bool]]:
        """Each recipient and whether they have answered; never what."""
        ...

    async def close(self, poll_id: int, now: dt.datetime) -> bool:
        """Close the poll; False when it was closed already."""
        ...

    async def recipients(self, poll_id: int) -> list[Participant]: ...

    async def sibling_ballots(self, poll: Poll) -> list[Ballot]:
        """Ballots of every closed table poll from the same template in the same session (the total)."""
        ...
