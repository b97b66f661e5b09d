"""Profile maximin: the distribution over compositions that gives the lowest chance its highest value."""

from __future__ import annotations

import time

from bot.organiser.lottery.fair.distribution import Algorithm, FairDistribution, settle
from bot.organiser.lottery.fair.generation import Progress, improve, start
from bot.organiser.lottery.fair.profiles import Problem


def maximin(
    problem: Problem, max_seconds: float | None = None, progress: Progress | None = None
) -> FairDistribution:
    """The library's maximin optimum (everyone in a profile alike, which some optimum always is), found
    over a few hundred profiles instead of one binary variable per person."""
    began = time.perf_counter()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    setup = start(problem)
    stage = improve(setup.master, setup.pricing, deadline=deadline, progress=progress)
    return settle(
        problem,
        Algorithm.MAXIMIN,
        setup.master.columns,
        stage.solution.weights,
        excluded=setup.excluded,
        gap=stage.gap,
        complete=stage.converged,
        rounds=stage.rounds,
        covering=setup.seconds,
        began=began,
    )
