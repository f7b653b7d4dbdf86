"""The LP relaxation (GLOP) of a model's linear rows, built once and asked many small questions.

Owns `Relaxation`: the rows of a round (`model.read_rows`) as one GLOP model whose variable
bounds and objective a caller changes between solves — the range a variable (say, a count of
selected candidates) can take in the relaxation, or whether the relaxation is feasible at all
with some variables fixed. Both answers are relaxations of the integer model, so they can only
rule out (a value outside the range, a fixing the LP cannot meet), never rule in: a caller that
needs an integer answer asks `solve_level` next.

Rows are divided by their largest coefficient before GLOP sees them (an equity bound written in
integers has coefficients of 10⁸, which leaves GLOP ABNORMAL unscaled). One GLOP model answers
every question, from the basis the last one left (no presolve: `WARM_GLOP`). Does not own the
Lagrangian bounds of the fast path (`solver.lp`).
"""
from __future__ import annotations

import math

import numpy as np

from planner.model import INT_MAX, INT_MIN, LinearRows

#: Slack allowed when an LP value is rounded to an integer bound: GLOP's optimum is exact only to
#: its tolerances (about 1e-6 of the scaled rows), so a range is widened by a hundredth rather
#: than risk cutting off an integer that lies on its end.
ROUNDING = 0.01

#: GLOP's parameters: no presolve, so that the basis is kept from one question to the next.
WARM_GLOP = "use_preprocessing: false"


class Relaxation:
    """One GLOP model of ``lo ≤ A x ≤ hi``, ``lower ≤ x ≤ upper`` (x continuous).

    Parameters
    ----------
    rows : LinearRows
    lower, upper : ndarray of int64, optional
        Variable bounds (default: the rows' own).
    time_limit_s : float
        Limit of each LP solve.
    """

    def __init__(self, rows: LinearRows, lower: np.ndarray | None = None, upper: np.ndarray | None = None, *,
                 time_limit_s: float = 10.0):
        from ortools.linear_solver import pywraplp

        self._pywraplp = pywraplp
        self.rows = rows
        self.lower = np.asarray(rows.lower if lower is None else lower, dtype=np.int64).copy()
        self.upper = np.asarray(rows.upper if upper is None else upper, dtype=np.int64).copy()
        self.time_limit_s = time_limit_s
        solver = pywraplp.Solver.CreateSolver("GLOP")
        # Warm start: without presolve GLOP keeps its basis between questions — a range asks the
        # same rows with another objective, so the primal simplex goes on from the last optimum.
        # Measured on the 2023 round's 24 count ranges (the balanced end): about half the time
        # of a fresh model per question, the same ranges.
        solver.SetSolverSpecificParametersAsString(WARM_GLOP)
        inf = solver.infinity()
        self._x = [solver.NumVar(float(a), float(b), "") for a, b in zip(self.lower.tolist(), self.upper.tolist())]
        coef = rows.coef.astype(float)
        lens = np.diff(rows.start)
        entry_row = np.repeat(np.arange(rows.n_rows), lens)
        scale = np.ones(rows.n_rows)
        if len(coef):
            np.maximum.at(scale, entry_row, np.abs(coef))
        coef = coef / scale[entry_row] if len(coef) else coef
        lo = np.where(rows.lo == INT_MIN, -np.inf, rows.lo.astype(float)) / scale
        hi = np.where(rows.hi == INT_MAX, np.inf, rows.hi.astype(float)) / scale
        var_list, coef_list = rows.var.tolist(), coef.tolist()
        x = self._x
        for r in range(rows.n_rows):
            a, b = int(rows.start[r]), int(rows.start[r + 1])
            if a == b:
                continue
            ct = solver.Constraint(float(lo[r]) if math.isfinite(lo[r]) else -inf,
                                   float(hi[r]) if math.isfinite(hi[r]) else inf)
            for j, c in zip(var_list[a:b], coef_list[a:b]):
                ct.SetCoefficient(x[j], c)
        self._solver = solver

    def _solve(self, objective: dict[int, float], maximize: bool) -> tuple[str, float]:
        solver = self._solver
        goal = solver.Objective()
        goal.Clear()
        for index, value in objective.items():
            goal.SetCoefficient(self._x[int(index)], float(value))
        goal.SetMaximization() if maximize else goal.SetMinimization()
        if self.time_limit_s < 1e9:                 # no limit (inf, or beyond int64 ms): none
            solver.SetTimeLimit(max(1, int(self.time_limit_s * 1000)))
        status = solver.Solve()
        if status == self._pywraplp.Solver.OPTIMAL:
            return "OPTIMAL", float(goal.Value())
        if status == self._pywraplp.Solver.INFEASIBLE:
            return "INFEASIBLE", math.nan
        return str(status), math.nan

    def fix(self, index: np.ndarray, values: np.ndarray) -> None:
        """Set ``lower = upper = value`` for these variables (until `release`)."""
        for j, v in zip(np.asarray(index).tolist(), np.asarray(values).tolist()):
            self._x[int(j)].SetBounds(float(v), float(v))

    def release(self, index: np.ndarray) -> None:
        """Give these variables their own bounds back."""
        for j in np.asarray(index).tolist():
            self._x[int(j)].SetBounds(float(self.lower[j]), float(self.upper[j]))

    def span(self, index: int) -> tuple[int, int]:
        """The integer range ``[⌈LP min⌉, ⌊LP max⌋]`` of variable `index` (its own bounds if an LP fails).

        Every integer solution has the variable in this range.
        """
        lo, hi = int(self.lower[index]), int(self.upper[index])
        status, value = self._solve({int(index): 1.0}, maximize=False)
        if status == "INFEASIBLE":
            return 1, 0
        if status == "OPTIMAL":
            lo = max(lo, math.ceil(value - ROUNDING))
        status, value = self._solve({int(index): 1.0}, maximize=True)
        if status == "OPTIMAL":
            hi = min(hi, math.floor(value + ROUNDING))
        return lo, hi

    def feasible(self) -> bool | None:
        """Whether the relaxation (with the current fixings) has a solution (None: GLOP did not say)."""
        status, _ = self._solve({}, maximize=True)
        if status == "OPTIMAL":
            return True
        if status == "INFEASIBLE":
            return False
        return None
