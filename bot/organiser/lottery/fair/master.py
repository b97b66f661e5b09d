"""The restricted master LP: a distribution over the compositions found so far, lifting the lowest chance."""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from bot.organiser.lottery.fair.highs import new_highs
from bot.organiser.lottery.fair.pricing import Counts, Vector
from bot.organiser.lottery.options import DrawError

_PRIMAL = 4
"""A new column leaves the basis primal feasible: primal simplex needs 2-3x fewer iterations than dual."""

_FEASIBLE = 1e-9
"""HiGHS's default 1e-7 would let a fixed leximin chance, or the maximin level, slip by that much."""


@dataclass(frozen=True)
class MasterSolution:
    """`z` is the lowest chance among the free profiles; `prices` the duals of the profile rows (zero for
    profiles without a row), `value` minus the convexity row's dual: a composition improves the master
    when its priced weight exceeds it. `weights` is the distribution over the columns, in their order."""

    z: float
    prices: Vector
    value: float
    weights: Vector


class Master:
    """min -z  s.t.  sum_c x_c n_cp/|T_p| - z >= 0 for free profiles, >= f_p for fixed ones, sum_c x_c = 1.

    Rows exist only for profiles some panel can include; the others keep chance zero, as in the library.
    """

    def __init__(self, sizes: Vector, active: list[int]) -> None:
        self._sizes = sizes
        self._active = np.array(active, dtype=np.int32)
        self._row_of = {profile: row for row, profile in enumerate(active)}
        self._columns: list[Counts] = []
        self._solver = new_highs(
            presolve="off",
            solver="simplex",
            simplex_strategy=_PRIMAL,
            primal_feasibility_tolerance=_FEASIBLE,
            dual_feasibility_tolerance=_FEASIBLE,
        )
        rows = len(active)
        self._solver.addVars(1, np.zeros(1), np.ones(1))
        self._solver.changeColCost(0, -1.0)
        self._solver.addRows(
            rows,
            np.zeros(rows),
            np.full(rows, highspy.kHighsInf),
            rows,
            np.arange(rows, dtype=np.int32),
            np.zeros(rows, dtype=np.int32),
            np.full(rows, -1.0),
        )
        self._solver.addRow(1.0, 1.0, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
        self._floors = np.zeros(len(sizes))
        self._shares = np.zeros((64, len(sizes)))

    @property
    def columns(self) -> list[Counts]:
        return self._columns

    @property
    def floors(self) -> Vector:
        """The chance each fixed profile must keep (zero for the others)."""
        return self._floors

    def add(self, counts: Counts) -> None:
        """A new composition as a column: its share of each active profile, and 1 in the convexity row."""
        shares = counts / self._sizes
        on_rows = shares[self._active]
        rows = np.flatnonzero(on_rows).astype(np.int32)
        indices = np.append(rows, np.int32(len(self._active)))
        values = np.append(on_rows[rows], 1.0)
        self._solver.addCol(0.0, 0.0, highspy.kHighsInf, len(indices), indices, values)
        if len(self._columns) == len(self._shares):
            self._shares = np.vstack([self._shares, np.zeros_like(self._shares)])
        self._shares[len(self._columns)] = shares
        self._columns.append(counts)

    def heaviest(self, prices: Vector) -> float:
        """The largest priced weight among the columns already in the master."""
        return float(self.priced(prices).max(initial=0.0))

    def priced(self, prices: Vector) -> Vector:
        """Each column's priced weight, in the order of `columns`."""
        return self._shares[: len(self._columns)] @ prices

    def keep(self, used: npt.NDArray[np.bool_]) -> None:
        """Drop the columns not `used` (a mask in the order of `columns`)."""
        dropped = np.flatnonzero(~used)
        if len(dropped):
            self._solver.deleteCols(len(dropped), (dropped + 1).astype(np.int32))
            kept = np.flatnonzero(used)
            self._columns = [self._columns[c] for c in kept]
            self._shares[: len(kept)] = self._shares[kept]

    def fix(self, profile: int, chance: float) -> None:
        """From now on the profile only has to keep `chance`; z is free to rise above it."""
        row = self._row_of[profile]
        self._solver.changeCoeff(row, 0, 0.0)
        self._solver.changeRowBounds(row, chance, highspy.kHighsInf)
        self._floors[profile] = chance

    def solve(self) -> MasterSolution:
        """A vertex, warm-started from the previous basis: few compositions, and exact prices."""
        solver = self._solver
        solver.run()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            status = solver.modelStatusToString(solver.getModelStatus())
            raise DrawError(f"the solver could not find the fair distribution (HiGHS: {status})")
        solution = solver.getSolution()
        duals = np.asarray(solution.row_dual)
        weights = np.clip(np.asarray(solution.col_value)[1:], 0.0, None)
        prices = np.zeros(len(self._sizes))
        prices[self._active] = np.clip(duals[:-1], 0.0, None)
        return MasterSolution(
            z=float(solution.col_value[0]),
            prices=prices,
            value=-float(duals[-1]),
            weights=weights / weights.sum(),
        )

    def chances(self, weights: Vector) -> Vector:
        """Each profile's selection chance E[n_p]/|T_p| under a distribution over the columns."""
        return weights @ self._shares[: len(self._columns)]
