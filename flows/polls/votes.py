"""Ballots as values: what one participant answered, a frozen type per kind of poll.

single, scale, proposal, score -> `Choice`; multiple -> `Choices`; dots -> `Dots`; ranking ->
`Ranking`; text -> `Written`. Answers are option numbers (0-based, in the order the ballot shows
them). The store keeps them as JSON (bot/store/polls.py), in a shape its report views unpack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Choice:
    """One answer picked; a proposal's block carries the reason the participant gave."""

    index: int
    reason: str | None = None


@dataclass(frozen=True)
class Choices:
    """The answers ticked in a multiple-choice poll, in option order."""

    indices: tuple[int, ...]


@dataclass(frozen=True)
class Dots:
    """The points given to each option of a dot vote."""

    points: tuple[int, ...]


@dataclass(frozen=True)
class Ranking:
    """Options in order of preference, best first; not necessarily all of them."""

    order: tuple[int, ...]


@dataclass(frozen=True)
class Written:
    """An open answer."""

    text: str


Ballot = Choice | Choices | Dots | Ranking | Written

BallotT = TypeVar("BallotT", Choice, Choices, Dots, Ranking, Written)


def all_of(kind: type[BallotT], ballots: Sequence[Ballot]) -> list[BallotT]:
    """The ballots as the one type their poll takes; a ballot of another type is a bug, not a vote."""
    found = [ballot for ballot in ballots if isinstance(ballot, kind)]
    if len(found) != len(ballots):
        # Kinds only, never the ballots: an open answer or a block reason must not reach a log.
        kinds = ", ".join(sorted({type(ballot).__name__ for ballot in ballots}))
        raise TypeError(f"a {kind.__name__} poll holds other ballots: {kinds}")
    return found
