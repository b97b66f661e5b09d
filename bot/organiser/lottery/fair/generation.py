"""Column generation: find the profiles some panel can include, then add compositions until none helps."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.organiser.lottery.fair.infeasible import explain
from bot.organiser.lottery.fair.master import Master, MasterSolution
from bot.organiser.lottery.fair.pricing import Counts, Pricing, QuotasInfeasible, Vector
from bot.organiser.lottery.fair.profiles import Problem

TOLERANCE = 1e-9
"""Absolute slack on a composition's priced weight before it counts as improving (the library uses 5e-4,
which is a tenth of the answer when the lowest chance is 0.3%)."""

SIBLINGS = 10
"""Extra pricings after each improving column. A master solve costs as much as several pricings, and
with 10 extra columns per round 2,000/40 needed 30-40 master solves instead of 400 (tried 0-16)."""

Progress = Callable[[str], None]
"""Told a line after each round (the lowest chance so far and the gap): the CLI's progress bar shows it."""

DAMPING = 0.4
"""Each sibling prices the profiles the previous column seated at this fraction (tried 0.2-0.8)."""


@dataclass(frozen=True)
class Cover:
    """Compositions that together include every includable profile, and the profiles no panel can include."""

    columns: list[Counts]
    excluded: list[int]


@dataclass(frozen=True)
class Stage:
    """A solved master with the proven distance to the optimum over all compositions (`gap`), and a
    proven bound on every composition's priced weight at the master's final prices (`bound`)."""

    solution: MasterSolution
    gap: float
    rounds: int
    converged: bool
    bound: float


@dataclass(frozen=True)
class Start:
    """The pricing model, a master seeded with the covering compositions, and the excluded profiles."""

    pricing: Pricing
    master: Master
    excluded: list[int]
    seconds: float


def start(problem: Problem) -> Start:
    """Raises the library's explanation when no composition meets the quotas."""
    began = time.perf_counter()
    pricing = Pricing(problem)
    try:
        found = cover(pricing)
    except QuotasInfeasible:
        raise explain(problem) from None
    pricing.exclude(found.excluded)
    excluded = set(found.excluded)
    master = Master(pricing.sizes, [p for p in range(len(problem.profiles)) if p not in excluded])
    for column in found.columns:
        master.add(column)
    return Start(pricing, master, found.excluded, time.perf_counter() - began)


def cover(pricing: Pricing) -> Cover:
    """Weights 1/|T_p| on the profiles not yet included value each profile at most 1, so every round
    includes as many new profiles as it can; once even the relaxation cannot reach one whole profile's
    worth, the remaining profiles are in no feasible panel at all (the certificate is the bound)."""
    sizes = pricing.sizes
    left = np.ones(len(sizes), dtype=bool)
    columns: list[Counts] = []
    while left.any():
        weights = np.where(left, 1.0 / sizes, 0.0)
        threshold = 0.5 / sizes[left].max()
        priced = pricing.best(weights, threshold)
        if priced.counts is None:
            break
        columns.append(priced.counts)
        left &= priced.counts == 0
    return Cover(columns, [int(p) for p in np.flatnonzero(left)])


def improve(
    master: Master, pricing: Pricing, deadline: float | None = None, progress: Progress | None = None
) -> Stage:
    """Solve the master, price its duals, add improving compositions, until no composition improves it.

    Pricing at the master's duals is exact, so when it finds nothing above the master's value the
    restricted optimum is the optimum over all compositions; the best bound priced so far gives the
    gap meanwhile. A column that comes back (the master cannot use it) means it converged numerically.
    """
    sizes = pricing.sizes
    seen = {column.tobytes() for column in master.columns}
    best_bound = np.inf
    rounds = 0
    while True:
        rounds += 1
        solution = master.solve()
        duals = solution.prices
        threshold = solution.value + TOLERANCE
        priced = pricing.best(duals / sizes, threshold)
        best_bound = min(best_bound, priced.bound - float(master.floors @ duals))
        gap = max(0.0, best_bound - solution.z)
        if progress is not None:
            progress(f"round {rounds}: lowest chance {solution.z:.4%}, gap {gap:.1e}")
        counts = priced.counts
        if counts is None or gap <= TOLERANCE or counts.tobytes() in seen:
            return Stage(solution, gap, rounds, converged=True, bound=priced.bound)
        if deadline is not None and time.monotonic() > deadline:
            return Stage(solution, gap, rounds, converged=False, bound=priced.bound)
        for column in [counts, *_siblings(pricing, duals, counts, threshold)]:
            if column.tobytes() not in seen:
                seen.add(column.tobytes())
                master.add(column)


def _siblings(pricing: Pricing, duals: Vector, counts: Counts, threshold: float) -> list[Counts]:
    """More columns that improve the master at the same duals, found by pricing again with the prices of
    the profiles just seated damped (the library's multiplicative-weights idea), relaxation and dive only."""
    sizes = pricing.sizes
    found: list[Counts] = []
    point = duals.copy()
    for _ in range(SIBLINGS):
        point[counts > 0] *= DAMPING
        priced = pricing.best(point / sizes, 0.0, exact=False)
        if priced.counts is None:
            break
        counts = priced.counts
        if float((duals / sizes) @ counts) > threshold:
            found.append(counts)
    return found
