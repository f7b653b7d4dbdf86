"""Running CP-SAT on a built model: lexicographic phases, time limit, seed, workers.

Owns the solver parameters, the order of objectives (slate quality, then national picks, then
the fixed tie-break), the `Solution` read back onto the candidate rows, and the work that makes
the optimum come back while the meeting waits (see `solve_model`):

1. the model is read as linear rows and split into **components** — rules that share no
   candidate (`components`) — each solved on its own (in parallel threads) with the same
   optimum as the whole;
2. an **LP relaxation** (GLOP) bounds each component, and **reduced-cost fixing** settles every
   candidate whose reduced cost shows it cannot change in any optimal slate, so CP-SAT only
   searches the small core near the quota and budget thresholds — exactly: if the core's
   optimum does not prove the fixing safe, the core is widened and solved again;
3. CP-SAT solves each core with parameters chosen by measurement (`PARAMETERS`,
   benchmarks/README.md) and the exact lexicographic tie-break in one solve per level.

Models these rows cannot express (assumptions, enforced linear constraints) take the plain
path `solve_model_direct`: one CP-SAT solve of the whole model per level. Does not own
building the model (`model`) nor checking the slate (`audit`).
"""
from __future__ import annotations

import logging
import math
import os
import time

import numpy as np

from planner.errors import InfeasibleError, NoSolutionError
from planner.model import INT_MAX, LinearRows, Model, Unsupported, linear_terms, read_rows
from planner.solver._base import Solution, hint_values, read_values
from planner.solver.direct import solve_model_direct
from planner.solver.levels import solve_level

log = logging.getLogger(__name__)


# =========================================================================== the fast path
def solve_model(model: Model, *, time_limit_s: float = 60.0, seed: int = 0, workers: int = 0,
                hint: np.ndarray | None = None, log_progress: bool = False) -> Solution:
    """Solve the model's objectives one after another, each within the optimum of the last.

    Each level (``model.objectives``: slate score, then national picks) is solved exactly —
    its objective first, then the fixed tie-break priorities — by components, LP bound,
    reduced-cost fixing and CP-SAT on the remaining core (see the module docstring). The
    next level keeps this level's decisions and its optimum.

    Parameters
    ----------
    time_limit_s : float
        Wall-clock budget for all phases together.
    seed : int
        CP-SAT `random_seed`. With a proven optimum the slate does not depend on it.
    workers : int
        Threads: independent components are solved side by side, each core by one CP-SAT
        worker (0 = all cores). With a proven optimum the slate does not depend on it.
    hint : ndarray of bool, optional
        A previous selection over the frame's rows to start from (what-if re-solves).

    Raises
    ------
    InfeasibleError
        No slate satisfies the hard rules (the conflicts are named by `explain`).
    NoSolutionError
        The time ran out before any slate was found.
    """
    start = time.perf_counter()
    try:
        rows = read_rows(model.cp)
    except Unsupported as why:
        log.info("solving the model as a whole (%s)", why)
        return solve_model_direct(model, time_limit_s=time_limit_s, seed=seed, workers=workers, hint=hint,
                                  log_progress=log_progress)
    deadline = start + time_limit_s
    threads = max(1, workers if workers > 0 else (os.cpu_count() or 1))
    lower, upper = rows.lower.copy(), rows.upper.copy()
    guess = hint_values(model, rows, hint) if hint is not None else None
    phases: list[dict] = []
    selected = national = None
    status_name, objective, bound = "UNKNOWN", math.nan, math.nan
    for i, level in enumerate(model.objectives):
        if i > 0 and deadline - time.perf_counter() <= 0.01:
            log.warning("time limit reached before phase %s", level.name)
            break
        tick = time.perf_counter()
        score_vars, score_coefs, offset = linear_terms(level.expr)
        score = np.zeros(rows.n_vars, np.int64)
        np.add.at(score, score_vars, score_coefs)
        ties = np.zeros(rows.n_vars, np.int64)
        if level.ties:
            ties[[v.index for v in level.variables]] = np.asarray(level.ties, dtype=np.int64)
        result = solve_level(rows, lower, upper, score, ties, deadline=deadline, seed=seed, threads=threads,
                             guess=guess, log_progress=log_progress)
        units = float(level.units)
        found = result.values is not None
        value = (result.score + offset) / units if found else None
        top = (result.bound + offset) / units if found else math.nan
        phases.append({"phase": level.name, "status": result.status, "objective": value, "best_bound": top,
                       "wall_s": round(time.perf_counter() - tick, 4), "tie_break": bool(level.ties),
                       **result.stats})
        log.info("phase %s: %s, objective %s, %.2f s (%s)", level.name, result.status, value,
                 time.perf_counter() - tick, result.stats)
        if i == 0:
            if result.status == "INFEASIBLE":
                raise InfeasibleError("no slate satisfies every hard rule of the scenario")
            if not found:
                raise NoSolutionError(f"no slate found within the time limit of {time_limit_s:g} s")
            status_name, objective, bound = result.status, value, max(top, value)
        if not found:
            break
        values = result.values
        selected, national = read_values(model, values)
        # Fix this level's decisions before the next (the provincial slate is settled before the
        # national picks are drawn from it) and keep its optimum: variables of its objective that
        # stay free (soft-rule slack) may not lose score, component by component.
        chosen = np.array([v.index for v in level.variables], dtype=np.int64)
        lower[chosen] = values[chosen]
        upper[chosen] = values[chosen]
        if i + 1 < len(model.objectives):
            rows = _keep_optimum(rows, score, values, lower, upper, result.labels)
        guess = values

    gap = 0.0 if status_name == "OPTIMAL" else abs(bound - objective) / max(1.0, abs(objective))
    return Solution(status=status_name, selected=selected, national=national, objective=objective,
                    best_bound=bound, gap=gap, solve_s=time.perf_counter() - start, phases=phases)


def _keep_optimum(rows: LinearRows, score: np.ndarray, values: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                  labels: np.ndarray) -> LinearRows:
    """Rows ``Σ score·x ≥ reached`` per component over the score's variables that stay free."""
    free = (lower < upper) & (score != 0)
    if not free.any():
        return rows
    comps = labels[free]
    var_idx = np.flatnonzero(free)
    order = np.argsort(comps, kind="stable")
    var_idx, comps = var_idx[order], comps[order]
    new_var, new_coef, new_lo, lens = [], [], [], []
    for comp in np.unique(comps):
        members = var_idx[comps == comp]
        new_var.append(members)
        new_coef.append(score[members])
        new_lo.append(int(score[members] @ values[members]))
        lens.append(len(members))
    return LinearRows(
        lower=rows.lower, upper=rows.upper,
        start=np.concatenate([rows.start, rows.start[-1] + np.cumsum(lens)]).astype(np.int64),
        var=np.concatenate([rows.var, *new_var]), coef=np.concatenate([rows.coef, *new_coef]),
        lo=np.concatenate([rows.lo, np.array(new_lo, np.int64)]),
        hi=np.concatenate([rows.hi, np.full(len(lens), INT_MAX, np.int64)]))


