"""Column generation: find the profiles some panel can include, then add compositions until none helps."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from bot.organiser.lottery.fair.infeasible import explain
from bot.organiser.lottery.fair.master import Master, MasterSolution, Method
from bot.organiser.lottery.fair.pricing import Counts, Pricing, QuotasInfeasible, Vector
from bot.organiser.lottery.fair.profiles import Problem

TOLERANCE = 1e-9
"""Absolute slack on a composition's priced weight before it counts as improving (the library uses 5e-4,
which is a tenth of the answer when the lowest chance is 0.3%)."""


@dataclass(frozen=True)
class Cover:
    """Compositions that together include every includable profile, and the profiles no panel can include."""

    columns: list[Counts]
    excluded: list[int]


@dataclass(frozen=True)
class Stage:
    """A solved master with the proven distance to the optimum over all compositions (`gap`)."""

    solution: MasterSolution
    gap: float
    rounds: int
    converged: bool


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
        if priced.counts is None or priced.value < threshold:
            break
        columns.append(priced.counts)
        left &= priced.counts == 0
    return Cover(columns, [int(p) for p in np.flatnonzero(left)])


def improve(
    master: Master, pricing: Pricing, method: Method, deadline: float | None = None, smoothing: float = 0.5
) -> Stage:
    """Solve the master, price its duals, add an improving composition, until the bound meets the master.

    The master's duals swing from one extreme vertex to another while few columns are known, so pricing
    happens at a point between them and the best duals seen so far (Wentges smoothing): the columns found
    there are the ones the final distribution needs. A column that does not improve the master at its own
    duals ("misprice") still tightens the bound; after one that does not, the next pricing uses the
    master's duals alone, where a missing improvement proves optimality.
    """
    sizes = pricing.sizes
    seen = {column.tobytes() for column in master.columns}
    center: Vector | None = None
    center_bound = np.inf
    mix = smoothing
    rounds = 0
    solution = master.solve(method)
    while True:
        rounds += 1
        duals = solution.prices
        point = duals if center is None else mix * center + (1.0 - mix) * duals
        priced = pricing.best(point / sizes, master.heaviest(point) + TOLERANCE)
        bound = priced.bound - float(master.floors @ point)
        improved_center = bound < center_bound
        if improved_center:
            center, center_bound = point, bound
        gap = max(0.0, center_bound - solution.z)
        if gap <= TOLERANCE:
            return Stage(solution, gap, rounds, converged=True)
        if deadline is not None and time.monotonic() > deadline:
            return Stage(solution, gap, rounds, converged=False)
        counts = priced.counts
        if counts is None or float((duals / sizes) @ counts) <= solution.value + TOLERANCE:
            mix = smoothing if improved_center else 0.0
            continue
        key = counts.tobytes()
        if key in seen:
            return Stage(solution, gap, rounds, converged=True)
        seen.add(key)
        master.add(counts)
        mix = smoothing
        solution = master.solve(method)
