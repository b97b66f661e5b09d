"""One stratified draw: quotas and pool in; panel, reserves and everyone's chance out.

Ours (`maximin`, `leximin`) computes the fair distribution over profiles and draws from it; the
library's algorithms (`library-...`) are kept for comparison. Either way the pool is grouped into
profiles first, which checks it and gives the transparency report its rows and the input its hash.
Pure computation with no store: it runs in the draw's worker process (bot/organiser/lottery/worker.py).
"""

from __future__ import annotations

import hashlib
import json
import platform
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version

from bot.organiser.lottery.fair.distribution import FairDistribution
from bot.organiser.lottery.fair.generation import Progress
from bot.organiser.lottery.fair.leximin import leximin
from bot.organiser.lottery.fair.maximin import maximin
from bot.organiser.lottery.fair.profiles import Problem, Quotas, group
from bot.organiser.lottery.library import library_panel
from bot.organiser.lottery.options import ALGORITHMS, LIBRARY_PREFIX, DrawError


@dataclass(frozen=True)
class Candidate:
    """A complete registration in the pool: its participant id and its value for each feature."""

    participant_id: int
    features: dict[str, str]


@dataclass(frozen=True)
class ProfileChance:
    """One row of the transparency report: a combination of feature values, how many registered with
    it, and the chance each of them had (None when the algorithm does not compute chances)."""

    values: tuple[str, ...]
    people: int
    probability: float | None


@dataclass(frozen=True)
class Draw:
    selected: list[int]
    reserves: list[int]
    seed: int
    algorithm: str
    report: str
    features: tuple[str, ...]
    quotas: tuple[tuple[str, str, int, int], ...]
    """(feature, value, min, max) seats, in the definition's order."""
    profiles: tuple[ProfileChance, ...]
    chances: dict[int, float] = field(default_factory=dict)
    """Every registrant's selection probability; empty for the library's algorithms."""
    gap: float | None = None
    input_hash: str = ""
    versions: str = ""


def versions() -> str:
    """What computed the draw, for the record: a re-run with other versions may differ."""
    names = ("sortition-algorithms", "highspy", "numpy")
    return "; ".join([f"python {platform.python_version()}", *(f"{name} {version(name)}" for name in names)])


def input_hash(problem: Problem) -> str:
    """SHA-256 of the draw's whole input in canonical form: seats, quotas, and each person's id with
    their feature values. Publishing it lets anyone holding the same input check it was this one."""
    canonical = {
        "seats": problem.seats,
        "features": list(problem.features),
        "quotas": [[row.feature, row.value, row.low, row.high] for row in problem.rows],
        "pool": [[list(profile.values), list(profile.members)] for profile in problem.profiles],
    }
    text = json.dumps(canonical, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def draw(
    quotas: Quotas,
    pool: Sequence[Candidate],
    seats: int,
    *,
    seed: int,
    algorithm: str = "maximin",
    reserves: int = 0,
    progress: Progress | None = None,
) -> Draw:
    """Draw `seats` people meeting the quotas, then rank `reserves` of the others by the same seed."""
    if algorithm not in ALGORITHMS:
        raise DrawError(f"unknown algorithm '{algorithm}'; choose from {', '.join(ALGORITHMS)}")
    if seed == 0:
        raise DrawError("the seed must not be 0 (0 means an unrepeatable draw)")
    if not quotas:
        raise DrawError("the assembly definition marks no question as a selection feature")
    if len(pool) < seats:
        raise DrawError(f"only {len(pool)} complete registrations for {seats} seats")
    problem = group(quotas, [(c.participant_id, c.features) for c in pool], seats)
    distribution: FairDistribution | None = None
    if algorithm.startswith(LIBRARY_PREFIX):
        if progress is not None:
            progress(f"{algorithm}: {len(problem.profiles)} profiles, one variable per person")
        selected, report = library_panel(problem, algorithm.removeprefix(LIBRARY_PREFIX), seed)
    else:
        solve = leximin if algorithm == "leximin" else maximin
        distribution = solve(problem, None, progress)
        selected, report = sorted(distribution.draw(seed)), _summary(distribution)
    chosen = set(selected)
    others = sorted(c.participant_id for c in pool if c.participant_id not in chosen)
    random.Random(seed).shuffle(others)
    chances = distribution.chances if distribution is not None else None
    return Draw(
        selected=selected,
        reserves=others[:reserves],
        seed=seed,
        algorithm=algorithm,
        report=report,
        features=problem.features,
        quotas=tuple((row.feature, row.value, row.low, row.high) for row in problem.rows),
        profiles=tuple(
            ProfileChance(profile.values, profile.size, None if chances is None else chances[p])
            for p, profile in enumerate(problem.profiles)
        ),
        chances={}
        if chances is None
        else {m: chances[p] for p, profile in enumerate(problem.profiles) for m in profile.members},
        gap=None if distribution is None else distribution.gap,
        input_hash=input_hash(problem),
        versions=versions(),
    )


def _summary(distribution: FairDistribution) -> str:
    problem = distribution.problem
    return (
        f"{distribution.algorithm.value} over {len(problem.profiles)} profiles of {problem.people} people:"
        f" {len(distribution.compositions)} compositions, lowest chance {distribution.minimum:.6%},"
        f" proven gap {distribution.gap:.1e}, {distribution.rounds} rounds,"
        f" {distribution.timings.total:.2f} s"
    )
