"""Profile leximin without a commercial solver: maximin, fix the profiles it provably holds down, repeat."""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from bot.organiser.lottery.fair.distribution import Algorithm, FairDistribution, settle
from bot.organiser.lottery.fair.generation import Progress, Stage, improve, start
from bot.organiser.lottery.fair.master import Master
from bot.organiser.lottery.fair.profiles import Problem

_LOSS = 1e-6
"""The most a fixed profile's chance may fall short of its leximin value: a profile is fixed only when
the certificate in `_held` proves it cannot rise more than this above the stage's level."""

_ACCURACY = 1e-9
"""The certificate's slack is never taken below this: the level and the pricing bound are known to
about HiGHS's tolerances, not exactly."""

_SLACK = 1e-10
"""Fixed chances sit this far under the level the simplex reached, so the master stays feasible."""

_STALE = 1e-4
"""A column priced this far under the master's value can carry only (gap / 1e-4) of the weight of any
distribution that keeps the stage's levels, and later stages only choose among those."""


def leximin(
    problem: Problem, max_seconds: float | None = None, progress: Progress | None = None
) -> FairDistribution:
    """Maximise the lowest chance, then the next lowest, and so on (Flanigan et al.'s leximin).

    Each stage is a maximin over the profiles not yet fixed, by the same column generation, with the
    fixed profiles kept at their level; then the profiles every optimum holds at the stage's level are
    fixed there. Gurobi's interior-point prices are the usual way to find them all at once; here exact
    pricing at the simplex prices gives a certificate instead (`_held`), and on the example pools
    those prices certified whole levels at a time (111 of 275 profiles at once at 500/20), while
    HiGHS's interior-point prices certified no more, and, used without the certificate, fixed profiles
    that were not held. On the time limit the last master is returned with `complete` False: everyone
    fixed so far has their leximin chance, the others at least the last stage's level. The gap is the
    first stage's: how far the lowest chance may be from the maximin optimum.
    """
    began = time.perf_counter()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    setup = start(problem)
    master, pricing = setup.master, setup.pricing
    free = set(range(len(problem.profiles))) - set(setup.excluded)
    rounds, complete = 0, True
    gap: float | None = None
    while free:
        stage = improve(master, pricing, deadline, progress)
        rounds += stage.rounds
        gap = stage.gap if gap is None else gap
        if not stage.converged:
            complete = False
            break
        for profile in _held(master, stage, free):
            master.fix(profile, stage.solution.z - _SLACK)
            free.discard(profile)
        if progress is not None:
            progress(f"{len(problem.profiles) - len(free)} of {len(problem.profiles)} profiles settled")
        master.keep(_useful(master, stage))
    return settle(
        problem,
        Algorithm.LEXIMIN,
        master.columns,
        master.solve().weights,
        excluded=setup.excluded,
        gap=gap or 0.0,
        complete=complete,
        rounds=rounds,
        covering=setup.seconds,
        began=began,
    )


def _held(master: Master, stage: Stage, free: set[int]) -> list[int]:
    """The free profiles that no distribution keeping the stage's levels lifts more than _LOSS.

    Let y be the master's prices (non-negative, summing to 1 over the free profiles), B the proven
    bound on any composition's priced weight, z the level and f the fixed floors. Any distribution
    with every free profile at z or more and every fixed one at its floor or more has
    sum_q y_q chance_q <= B, hence chance_p <= z + (B - z - y.f) / y_p for every free p. When that
    is at most z + _LOSS, p is held. If no price is large enough, the most expensive profile is
    fixed, as in the classic algorithm: its excess is at most the slack times the number of profiles.
    """
    total = float(sum(stage.solution.prices[p] for p in free))
    if total <= 0.0 or stage.solution.z >= 1.0 - _ACCURACY:
        return sorted(free)  # z is at its bound of 1: everyone left is on every panel, nothing is priced
    prices = stage.solution.prices / total
    slack = max(stage.bound / total - stage.solution.z - float(prices @ master.floors), _ACCURACY)
    held = [p for p in free if slack <= _LOSS * prices[p]]
    return held or [max(free, key=lambda p: float(prices[p]))]


def _useful(master: Master, stage: Stage) -> npt.NDArray[np.bool_]:
    """Columns worth keeping for the next stages: a smaller master keeps each simplex solve quick, and
    pricing brings a dropped column back if it is needed after all."""
    used = master.priced(stage.solution.prices) >= stage.solution.value - _STALE
    used[: len(stage.solution.weights)] |= stage.solution.weights > 0
    return used
