"""The result of a fair draw's optimisation: compositions with probabilities, everyone's chance, the draw."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from enum import Enum

import numpy as np

from bot.organiser.lottery.fair.pricing import Counts, Vector
from bot.organiser.lottery.fair.profiles import Problem

_NEGLIGIBLE = 1e-12
"""Compositions below this weight are LP noise: dropping them moves no one's chance by more than 1e-9."""


class Algorithm(Enum):
    """What the distribution optimises: the lowest chance, or every chance from the lowest up."""

    MAXIMIN = "maximin"
    LEXIMIN = "leximin"


@dataclass(frozen=True)
class Composition:
    """Seats per profile, as (profile index, seats) pairs for the profiles that get any."""

    seats: tuple[tuple[int, int], ...]
    probability: float


@dataclass(frozen=True)
class Timings:
    """Seconds spent finding which profiles a panel can include, optimising, and in all."""

    covering: float
    optimising: float
    total: float


@dataclass(frozen=True)
class FairDistribution:
    """A lottery over compositions and what it means for each profile.

    `chances[p]` is the selection probability of every member of profile p. The minimum, median and
    maximum are taken over the people some panel can include; the `excluded` profiles are in no
    panel that meets the quotas (chance zero whatever the algorithm), as in the library's maximin.
    `gap` is the proven distance from the optimum of the lowest chance; `complete` is False when a
    time limit stopped the optimisation first (the distribution is still valid, only less fair).
    """

    problem: Problem
    algorithm: Algorithm
    compositions: tuple[Composition, ...]
    chances: tuple[float, ...]
    excluded: tuple[int, ...]
    gap: float
    complete: bool
    rounds: int
    timings: Timings

    def _included_chances(self) -> list[float]:
        excluded = set(self.excluded)
        return [
            chance
            for p, (chance, profile) in enumerate(zip(self.chances, self.problem.profiles, strict=True))
            if p not in excluded
            for _ in range(profile.size)
        ]

    @property
    def minimum(self) -> float:
        return min(self._included_chances(), default=0.0)

    @property
    def median(self) -> float:
        return statistics.median(self._included_chances() or [0.0])

    @property
    def maximum(self) -> float:
        return max(self._included_chances(), default=0.0)

    def chance_of(self, person: int) -> float:
        for profile, chance in zip(self.problem.profiles, self.chances, strict=True):
            if person in profile.members:
                return chance
        raise KeyError(person)

    def draw(self, seed: int) -> tuple[int, ...]:
        """One panel: a composition with its probability, then its seats in each profile filled uniformly
        at random. Everything comes from `seed` and the canonical order of the pool, so the same seed and
        the same pool always give the same panel."""
        rng = random.Random(seed)
        pick = rng.random()
        cumulative = 0.0
        chosen = self.compositions[-1]
        for composition in self.compositions:
            cumulative += composition.probability
            if pick < cumulative:
                chosen = composition
                break
        panel: list[int] = []
        for profile, seats in chosen.seats:
            panel.extend(rng.sample(self.problem.profiles[profile].members, seats))
        return tuple(sorted(panel))


def settle(
    problem: Problem,
    algorithm: Algorithm,
    columns: list[Counts],
    weights: Vector,
    *,
    excluded: list[int],
    gap: float,
    complete: bool,
    rounds: int,
    covering: float,
    began: float,
) -> FairDistribution:
    """The result of an optimisation: the lottery it found, and the chances that lottery really gives."""
    kept = [(c, float(w)) for c, w in zip(columns, weights, strict=True) if w > _NEGLIGIBLE]
    total = sum(weight for _, weight in kept)
    compositions = tuple(
        sorted(
            (
                Composition(tuple((int(p), int(column[p])) for p in np.flatnonzero(column)), weight / total)
                for column, weight in kept
            ),
            key=lambda composition: composition.seats,
        )
    )
    expected = np.zeros(len(problem.profiles))
    for composition in compositions:
        for profile, seats in composition.seats:
            expected[profile] += composition.probability * seats
    sizes = np.array([profile.size for profile in problem.profiles], dtype=np.float64)
    elapsed = time.perf_counter() - began
    return FairDistribution(
        problem=problem,
        algorithm=algorithm,
        compositions=compositions,
        chances=tuple(float(x) for x in expected / sizes),
        excluded=tuple(excluded),
        gap=gap,
        complete=complete,
        rounds=rounds,
        timings=Timings(covering=covering, optimising=elapsed - covering, total=elapsed),
    )
