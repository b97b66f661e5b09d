"""Counting ballots (flows/polls/votes.py), kind by kind, and whether a poll passed; pure, so every
count is easy to check."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean, median

from flows.assembly import PollKind
from flows.polls.votes import Ballot, Choice, Choices, Dots, Ranking, Written, all_of

AGREE5 = 5
GRADIENTS = 8
PROPOSAL = 4
AGREE, ABSTAIN, DISAGREE, BLOCK = range(PROPOSAL)
GRADIENT_SUPPORT = (0, 1, 2, 5)
"""Endorsement, agreement with a minor point, support with reservations, "don't like but will support"."""
GRADIENT_ABSTAIN, GRADIENT_VETO = 3, 7


@dataclass(frozen=True)
class Tally:
    """The count of one poll: one number per option (votes, points or Borda points), and what follows."""

    answers: int
    counts: tuple[float, ...] = ()
    texts: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    average: float | None = None
    middle: float | None = None
    winner: int | None = None
    rounds: tuple[tuple[int, ...], ...] = ()
    support: float | None = None
    blocked: bool = False


def choices(kind: PollKind, options: int, scale: str = "agree5", score_max: int = 10) -> int:
    """How many answers a ballot of this kind offers (options, scale steps, or score values)."""
    return {
        "scale": AGREE5 if scale == "agree5" else GRADIENTS,
        "proposal": PROPOSAL,
        "score": score_max + 1,
    }.get(kind, options)


def count(
    kind: PollKind, ballots: Sequence[Ballot], options: int, *, scale: str = "agree5", method: str = "borda"
) -> Tally:
    """The tally of `ballots`; `options` is the number of answers offered (see `choices`)."""
    n = len(ballots)
    if kind == "text":
        return Tally(n, texts=tuple(b.text for b in all_of(Written, ballots)))
    if kind == "multiple":
        picked = Counter(i for b in all_of(Choices, ballots) for i in b.indices)
        return Tally(n, tuple(float(picked.get(i, 0)) for i in range(options)))
    if kind == "dots":
        dots = all_of(Dots, ballots)
        return Tally(n, tuple(float(sum(b.points[i] for b in dots)) for i in range(options)))
    if kind == "ranking":
        orders = [list(b.order) for b in all_of(Ranking, ballots)]
        borda = tuple(
            float(sum(options - 1 - order.index(i) for order in orders if i in order)) for i in range(options)
        )
        if method == "irv":
            winner, rounds = instant_runoff(orders, options)
            return Tally(n, borda, winner=winner, rounds=rounds)
        return from_counts(kind, borda, n)
    picks = all_of(Choice, ballots)
    votes = Counter(b.index for b in picks)
    if kind == "score":
        return from_counts(kind, [votes.get(v, 0) for v in range(options)], n)
    reasons = tuple(b.reason for b in picks if b.reason)
    return from_counts(kind, [votes.get(i, 0) for i in range(options)], n, scale=scale, reasons=reasons)


def from_counts(
    kind: PollKind,
    counts: Sequence[float],
    answers: int,
    *,
    scale: str = "agree5",
    reasons: Sequence[str] = (),
) -> Tally:
    """The tally from counts per answer made elsewhere (the dashboard's SQL view), for every kind but
    open text and instant runoff, which need the ballots themselves."""
    counts = tuple(float(c) for c in counts)
    n = answers
    if kind == "score":
        scores = [value for value, times in enumerate(counts) for _ in range(int(times))]
        return Tally(
            n, counts, average=mean(scores) if scores else None, middle=median(scores) if scores else None
        )
    if kind == "ranking":
        best = max(range(len(counts)), key=lambda i: (counts[i], -i)) if n else None
        return Tally(n, counts, winner=best)
    if kind == "proposal":
        decided = counts[AGREE] + counts[DISAGREE]
        support = counts[AGREE] / decided if decided else None
        return Tally(n, counts, reasons=tuple(reasons), support=support, blocked=counts[BLOCK] > 0)
    if kind == "scale" and scale == "agree5":
        return Tally(n, counts, support=(counts[0] + counts[1]) / n if n else None)
    if kind == "scale":
        decided = n - counts[GRADIENT_ABSTAIN]
        support = sum(counts[i] for i in GRADIENT_SUPPORT) / decided if decided else None
        return Tally(n, counts, support=support, blocked=counts[GRADIENT_VETO] > 0)
    return Tally(n, counts, reasons=tuple(reasons))


def instant_runoff(
    orders: Sequence[Sequence[int]], options: int
) -> tuple[int | None, tuple[tuple[int, ...], ...]]:
    """The IRV winner and first-preference counts per round; ties eliminate the higher option number."""
    remaining = set(range(options))
    rounds: list[tuple[int, ...]] = []
    while remaining:
        first = Counter(
            next(i for i in order if i in remaining) for order in orders if set(order) & remaining
        )
        rounds.append(tuple(first.get(i, 0) if i in remaining else 0 for i in range(options)))
        active = sum(first.values())
        if not active:
            return None, tuple(rounds)
        leader = max(remaining, key=lambda i: (first.get(i, 0), -i))
        if first.get(leader, 0) * 2 > active or len(remaining) == 1:
            return leader, tuple(rounds)
        remaining.remove(min(remaining, key=lambda i: (first.get(i, 0), -i)))
    return None, tuple(rounds)


def passed(tally: Tally, quorum: int | None, threshold: float | None) -> bool | None:
    """Whether the poll passed; None when the poll sets neither a quorum nor a threshold."""
    if quorum is None and threshold is None:
        return None
    if quorum is not None and tally.answers < quorum:
        return False
    if tally.blocked:
        return False
    if threshold is None:
        return True
    return tally.support is not None and tally.support >= threshold - 1e-9
