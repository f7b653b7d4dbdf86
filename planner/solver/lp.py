"""The LP relaxation (GLOP) of components, for their Lagrangian bounds and reduced costs.

Owns solving the LP of whole components in batches, side by side in threads, and returning
the row multipliers (NaN where an LP was not solved to optimality); and `WarmLps`, the LP of
every row kept between solves that differ only in objective and bounds (score samples),
re-solved from its last basis.
"""
from __future__ import annotations

import concurrent.futures
import logging
import math
import time

import numpy as np

from planner.model import INT_MAX, INT_MIN
from planner.solver._base import LevelProblem

log = logging.getLogger(__name__)


LP_TIME_S = 30.0


LP_SHARE = 0.5             # of the level's time left: the rest is CP-SAT's, to find slates at least


LP_BATCH = 2000            # variables per LP solved at once (whole components)


# --------------------------------------------------------------------------- the LP
def lp_duals(p: LevelProblem, todo: list[int], threads: int = 1, warm: WarmLps | None = None) -> np.ndarray | None:
    """Row multipliers of the LP relaxation (GLOP) of the components in `todo` (NaN where none).

    The LP is block-diagonal, so it is solved in batches of whole components (a simplex on
    many small blocks is much faster than on their union), side by side in threads — unless
    `warm` holds the LP of every row, re-solved from its last basis (`WarmLps`).
    """
    sizes = np.bincount(p.labels[p.labels >= 0], minlength=int(p.labels.max()) + 1)
    batches: list[list[int]] = [[]]
    total = 0
    for c in todo:
        if total >= LP_BATCH and batches[-1]:
            batches.append([])
            total = 0
        batches[-1].append(c)
        total += int(sizes[c])
    duals = np.full(p.rows.n_rows, np.nan)
    if warm is not None:
        found = warm.duals(p)
        if found is not None:
            return found
    run = lambda batch: _lp_batch(p, batch, duals)
    if threads > 1 and len(batches) > 1:
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(run, batches))
    else:
        for batch in batches:
            run(batch)
    return duals


class WarmLps:
    """The LP relaxation of one set of rows kept between solves, re-solved from its last basis.

    For many solves of the same rows whose objective and bounds change (score samples,
    `analysis.resolver`): one GLOP model of every row and every variable of `rows`, built on the
    first solve. Each solve sets the bounds (a variable decided or
    fixed by this solve: lower == upper) and the objective where they changed, and GLOP
    (without presolve, so that it keeps its basis) starts from the last optimal basis — the
    same LP as the batches of `lp_duals`, whose blocks the fixed variables no longer link. Any
    multipliers are valid for the Lagrangian bound (`solver.levels`), so another optimal
    basis can change which variables are fixed first, never the optimum. One thread at a time.

    A solve with the same objective over a box inside the last one (the next level of the same
    expression, its decided variables fixed) is not re-solved: the last multipliers bound it
    too, and where the last LP optimum was integral (almost every component) they bound it as
    tightly as a new LP would.
    """

    def __init__(self) -> None:
        self._model: tuple | None = None
        self._duals: np.ndarray | None = None
        from ortools.linear_solver import linear_solver_pb2
        self._response = linear_solver_pb2.MPSolutionResponse()

    def _build(self, p: LevelProblem) -> tuple:
        from ortools.linear_solver import pywraplp

        rows = p.rows
        solver = pywraplp.Solver.CreateSolver("GLOP")
        solver.SetSolverSpecificParametersAsString("use_preprocessing: false")
        inf = solver.infinity()
        x = [solver.NumVar(a, b, "") for a, b in zip(rows.lower.astype(float).tolist(), rows.upper.astype(float).tolist())]
        e_row = rows.entry_rows()
        scale = np.ones(rows.n_rows)
        np.maximum.at(scale, e_row, np.abs(rows.coef.astype(float)))
        coef = (rows.coef.astype(float) / scale[e_row]).tolist()
        var = rows.var.tolist()
        lo_f = np.where(rows.lo == INT_MIN, -np.inf, rows.lo.astype(float)) / scale
        hi_f = np.where(rows.hi == INT_MAX, np.inf, rows.hi.astype(float)) / scale
        start = rows.start.tolist()
        cts = []
        for r, (a, b) in enumerate(zip(lo_f.tolist(), hi_f.tolist())):
            ct = solver.Constraint(a if math.isfinite(a) else -inf, b if math.isfinite(b) else inf)
            for k in range(start[r], start[r + 1]):
                ct.SetCoefficient(x[var[k]], coef[k])
            cts.append(ct)
        solver.Objective().SetMaximization()
        state = {"lower": rows.lower.copy(), "upper": rows.upper.copy(), "score": np.zeros(rows.n_vars, np.int64)}
        return rows, solver, x, cts, scale, state

    def duals(self, p: LevelProblem) -> np.ndarray | None:
        """Row multipliers of the LP of every row at `p`'s bounds and score.

        Parameters
        ----------
        p : LevelProblem
            The level (its rows, bounds, score and deadline); a new `rows` object builds the
            model again.

        Returns
        -------
        ndarray of float or None
            One multiplier per row of ``p.rows``; None when GLOP did not reach an optimum (the
            caller solves the batches instead).
        """
        from ortools.linear_solver import pywraplp

        if self._model is None or self._model[0] is not p.rows:
            self._model, self._duals = self._build(p), None
        _, solver, x, cts, scale, state = self._model
        if self._duals is not None and np.array_equal(p.score, state["score"]) and \
                np.all(p.lower >= state["lower"]) and np.all(p.upper <= state["upper"]):
            return self._duals
        bounds = np.flatnonzero((p.lower != state["lower"]) | (p.upper != state["upper"]))
        for j, a, b in zip(bounds.tolist(), p.lower[bounds].astype(float).tolist(),
                           p.upper[bounds].astype(float).tolist()):
            x[j].SetBounds(a, b)
        objective = solver.Objective()
        changed = np.flatnonzero(p.score != state["score"])
        for j, c in zip(changed.tolist(), p.score[changed].astype(float).tolist()):
            objective.SetCoefficient(x[j], c)
        state["lower"], state["upper"], state["score"] = p.lower.copy(), p.upper.copy(), p.score.copy()
        solver.SetTimeLimit(max(10, int(1000 * min(LP_TIME_S, LP_SHARE * (p.deadline - time.perf_counter())))))
        if solver.Solve() != pywraplp.Solver.OPTIMAL:
            log.info("the warm LP relaxation is not optimal: solved again in batches")
            self._model = self._duals = None
            return None
        response = self._response
        solver.FillSolutionResponseProto(response)
        self._duals = np.asarray(response.dual_value, dtype=float) / scale
        return self._duals


def _lp_batch(p: LevelProblem, batch: list[int], duals: np.ndarray) -> None:
    """Solve the LP of some components and write their row multipliers into `duals`."""
    from ortools.linear_solver.python import model_builder_helper as mbh

    in_batch = np.zeros(int(p.labels.max()) + 1, bool)
    in_batch[batch] = True
    cols = np.flatnonzero((p.labels >= 0) & in_batch[np.maximum(p.labels, 0)])
    position = np.full(p.rows.n_vars, -1, np.int64)
    position[cols] = np.arange(len(cols))
    row_ids = np.flatnonzero((p.row_comp >= 0) & in_batch[np.maximum(p.row_comp, 0)])
    builder = mbh.ModelBuilderHelper()
    builder.add_var_array_with_bounds(p.lower[cols].astype(float), p.upper[cols].astype(float),
                                      np.zeros(len(cols), bool), "")
    variables = [mbh.Variable(builder, int(j)) for j in range(len(cols))]
    starts, stops = p.rows.start[row_ids], p.rows.start[row_ids + 1]
    lens = stops - starts
    take = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(int(lens.sum()))
    keep = p.live[take]
    e_row = np.repeat(np.arange(len(row_ids)), lens)[keep]
    e_var = position[p.rows.var[take][keep]]
    e_coef = p.rows.coef[take][keep].astype(float)
    cuts = np.searchsorted(e_row, np.arange(len(row_ids) + 1))
    # Each row divided by its largest |coefficient|: a row with coefficients of 10⁸ (an equity
    # bound ε = a/b written in integers) leaves GLOP ABNORMAL unscaled; the duals are scaled back.
    scale = np.ones(len(row_ids))
    np.maximum.at(scale, e_row, np.abs(e_coef))
    e_coef = e_coef / scale[e_row]
    var_list, coef_list = e_var.tolist(), e_coef.tolist()
    lo_f = (np.where(p.lo[row_ids] == INT_MIN, -np.inf, p.lo[row_ids].astype(float)) / scale).tolist()
    hi_f = (np.where(p.hi[row_ids] == INT_MAX, np.inf, p.hi[row_ids].astype(float)) / scale).tolist()
    for r in range(len(row_ids)):
        ct = builder.add_linear_constraint()
        builder.set_constraint_lower_bound(ct, lo_f[r])
        builder.set_constraint_upper_bound(ct, hi_f[r])
        a, b = cuts[r], cuts[r + 1]
        builder.add_terms_to_constraint(ct, [variables[j] for j in var_list[a:b]], coef_list[a:b])
    nonzero = np.flatnonzero(p.score[cols])
    builder.set_objective_coefficients(nonzero.tolist(), p.score[cols][nonzero].astype(float).tolist())
    builder.set_maximize(True)
    solver = mbh.ModelSolverHelper("glop")
    solver.set_time_limit_in_seconds(max(0.01, min(LP_TIME_S, LP_SHARE * (p.deadline - time.perf_counter()))))
    solver.solve(builder)
    if solver.status() != mbh.SolveStatus.OPTIMAL:
        log.info("LP relaxation of %d components: %s (no reduced-cost fixing there)", len(batch), solver.status())
        return
    duals[row_ids] = np.asarray(solver.dual_values()) / scale

