"""Profile leximin without a commercial solver: maximin, fix the profiles it holds down, repeat."""

from __future__ import annotations

import time

import numpy as np

from bot.organiser.lottery.fair.distribution import Algorithm, FairDistribution, Timings, chances, lottery
from bot.organiser.lottery.fair.generation import improve, start
from bot.organiser.lottery.fair.master import Method
from bot.organiser.lottery.fair.profiles import Problem

_PRICED = 1e-6
"""A free profile priced above this (prices sum to 1) is held at the stage's level by every optimum."""

_CENTRAL = 1e-7
"""The interior-point duals are this accurate; asking more only sends back columns already in the master."""

_SLACK = 1e-10
"""Fixed chances sit this far under the level the simplex reached, so the master stays feasible."""


def leximin(problem: Problem, max_seconds: float | None = None) -> FairDistribution:
    """Maximise the lowest chance, then the next lowest, and so on (Flanigan et al.'s leximin).

    Each stage is a maximin over the profiles not yet fixed, by the same column generation. The master
    is solved by the interior-point method without crossover: its duals then lie inside the optimal
    face, so every profile that all optimal distributions hold at the stage's level has a positive
    price and is fixed in the same stage; simplex vertices would fix one or two at a time on this
    degenerate master. On the time limit the last master is returned with `complete` False: everyone
    fixed so far has their leximin chance, the others at least the last stage's level.
    """
    began = time.perf_counter()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    setup = start(problem)
    master, pricing = setup.master, setup.pricing
    free = set(range(len(problem.profiles))) - set(setup.excluded)
    rounds, gap, complete = 0, 0.0, True
    while free:
        level = improve(master, pricing, deadline=deadline)
        centre = improve(master, pricing, Method.INTERIOR, deadline=deadline, tolerance=_CENTRAL)
        rounds += level.rounds + centre.rounds
        gap = max(gap, level.gap)
        if not (level.converged and centre.converged):
            complete = False
            break
        prices = centre.solution.prices
        reached = master.chances(centre.solution.weights)
        held = [p for p in free if prices[p] > _PRICED and reached[p] <= centre.solution.z + _PRICED]
        if not held:
            held = [max(free, key=lambda p: float(prices[p]))]
        for profile in held:
            master.fix(profile, level.solution.z - _SLACK)
            free.discard(profile)
    final = master.solve(Method.SIMPLEX)
    compositions = lottery(master.columns, np.asarray(final.weights))
    total = time.perf_counter() - began
    return FairDistribution(
        problem=problem,
        algorithm=Algorithm.LEXIMIN,
        compositions=compositions,
        chances=chances(problem, compositions),
        excluded=tuple(setup.excluded),
        gap=gap,
        complete=complete,
        rounds=rounds,
        timings=Timings(covering=setup.seconds, optimising=total - setup.seconds, total=total),
    )
