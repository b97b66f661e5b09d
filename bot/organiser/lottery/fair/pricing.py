"""The pricing problem: the composition (seats per profile) that meets every quota with the largest weight."""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from bot.organiser.lottery.fair.highs import new_highs
from bot.organiser.lottery.fair.profiles import Problem

Vector = npt.NDArray[np.float64]
Counts = npt.NDArray[np.int64]

_INTEGRAL = 1e-9
_DIVE_DEPTH = 60
"""A dive rounds one seat count per step; past this many, branch and bound is the better bet."""
_BRANCH_AND_BOUND = {
    "presolve": "off",
    "mip_rel_gap": 1e-9,
    "mip_abs_gap": 0.0,
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
}
"""Exact to the last digit (the bound must be proven), and without the primal heuristics, which cost
more than the search itself on these root-solved models (about 45 ms against 29 per call)."""


class QuotasInfeasible(Exception):
    """No composition meets the quotas (the caller asks the library why)."""


@dataclass(frozen=True)
class Priced:
    """A composition above the threshold (None if none was found), and a proven upper bound on every
    composition's weight."""

    counts: Counts | None
    bound: float


class Pricing:
    """One integer variable per profile (0 <= n_p <= |profile|), the seats row and one row per quota value.

    The linear relaxation is solved first, warm-started from the previous call: on this structure its
    optimum is usually integral, and then it is the answer without branch and bound. HiGHS presolve and
    primal heuristics cost more than they save on a model this small, so both are off.
    """

    def __init__(self, problem: Problem) -> None:
        self.sizes = np.array([profile.size for profile in problem.profiles], dtype=np.float64)
        self._upper = self.sizes.copy()
        self._relaxation = self._build(problem, new_highs(presolve="off", solver="simplex"))
        self._integer = self._build(problem, new_highs(**_BRANCH_AND_BOUND))
        columns = len(self.sizes)
        self._integer.changeColsIntegrality(
            columns, np.arange(columns, dtype=np.int32), np.full(columns, highspy.HighsVarType.kInteger)
        )

    def _build(self, problem: Problem, solver: highspy.Highs) -> highspy.Highs:
        columns = len(problem.profiles)
        solver.addVars(columns, np.zeros(columns), self.sizes)
        solver.changeObjectiveSense(highspy.ObjSense.kMaximize)
        everyone = np.arange(columns, dtype=np.int32)
        solver.addRow(problem.seats, problem.seats, columns, everyone, np.ones(columns))
        for row in problem.rows:
            counted = np.array(problem.row_profiles(row), dtype=np.int32)
            solver.addRow(row.low, row.high, len(counted), counted, np.ones(len(counted)))
        return solver

    def exclude(self, profiles: list[int]) -> None:
        """Profiles no panel can include: fixed at zero, they stay out of later relaxations' vertices."""
        self._upper[profiles] = 0.0
        for solver in (self._relaxation, self._integer):
            for profile in profiles:
                solver.changeColBounds(profile, 0.0, 0.0)

    def best(self, weights: Vector, threshold: float, *, exact: bool = True) -> Priced:
        """A composition whose weight sum_p weights[p] * n_p exceeds `threshold`, if there is one.

        `counts` is None when none was found: with `exact`, branch and bound has then proven there is none;
        without, only the relaxation and a dive were tried, and `bound` is all that is known.

        HiGHS is given the weights scaled to a largest of 1: its absolute tolerances (1e-6 when it prunes
        a node) would otherwise be a large fraction of weights as small as the chances they stand for."""
        columns = len(weights)
        index = np.arange(columns, dtype=np.int32)
        scale = 1.0 / float(weights.max()) if weights.max() > 0 else 1.0
        self._relaxation.changeColsCost(columns, index, weights * scale)
        values = self._relax()
        bound = float(weights @ values)
        if bound <= threshold:
            return Priced(None, bound)
        if _integral(values):
            return Priced(np.rint(values).astype(np.int64), bound)
        dived = self._dive(weights, values, threshold)
        if dived is not None:
            return Priced(dived, bound)
        if not exact:
            return Priced(None, bound)
        self._integer.changeColsCost(columns, index, weights * scale)
        self._integer.run()
        if self._integer.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            raise QuotasInfeasible
        counts = np.rint(np.asarray(self._integer.getSolution().col_value)).astype(np.int64)
        value = float(weights @ counts)
        proven = max(value, min(bound, float(self._integer.getInfo().mip_dual_bound) / scale))
        return Priced(counts if value > threshold else None, proven)

    def _relax(self) -> Vector:
        self._relaxation.run()
        if self._relaxation.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            raise QuotasInfeasible
        return np.asarray(self._relaxation.getSolution().col_value)

    def _dive(self, weights: Vector, values: Vector, threshold: float) -> Counts | None:
        """Round the most fractional seat count and re-solve, warm, until the relaxation is integral: a few
        milliseconds where branch and bound takes tens, and it nearly always finds an improving composition.
        The bounds are restored afterwards, whatever happened."""
        fixed: list[int] = []
        try:
            while not _integral(values):
                if len(fixed) == _DIVE_DEPTH:
                    return None
                profile = int(np.argmax(np.abs(values - np.rint(values))))
                seats = float(np.rint(values[profile]))
                self._relaxation.changeColBounds(profile, seats, seats)
                fixed.append(profile)
                self._relaxation.run()
                if self._relaxation.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                    return None
                values = np.asarray(self._relaxation.getSolution().col_value)
                if float(weights @ values) <= threshold:
                    return None
            return np.rint(values).astype(np.int64)
        finally:
            for profile in fixed:
                self._relaxation.changeColBounds(profile, 0.0, self._upper[profile])


def _integral(values: Vector) -> bool:
    return bool(np.abs(values - np.rint(values)).max(initial=0.0) <= _INTEGRAL)
