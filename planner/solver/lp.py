"""The LP relaxation (GLOP) of components, for their Lagrangian bounds and reduced costs.

Owns solving the LP of whole components in batches, side by side in threads, and returning
the row multipliers (NaN where an LP was not solved to optimality).
"""
from __future__ import annotations

import concurrent.futures
import logging
import time

import numpy as np

from planner.model import INT_MAX, INT_MIN
from planner.solver._base import LevelProblem

log = logging.getLogger(__name__)


LP_TIME_S = 30.0


LP_SHARE = 0.5             # of the level's time left: the rest is CP-SAT's, to find slates at least


LP_BATCH = 2000            # variables per LP solved at once (whole components)


# --------------------------------------------------------------------------- the LP
def lp_duals(p: LevelProblem, todo: list[int], threads: int = 1) -> np.ndarray | None:
    """Row multipliers of the LP relaxation (GLOP) of the components in `todo` (NaN where none).

    The LP is block-diagonal, so it is solved in batches of whole components (a simplex on
    many small blocks is much faster than on their union), side by side in threads.
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
    run = lambda batch: _lp_batch(p, batch, duals)
    if threads > 1 and len(batches) > 1:
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(run, batches))
    else:
        for batch in batches:
            run(batch)
    return duals


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

