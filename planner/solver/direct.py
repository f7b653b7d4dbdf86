"""The plain path: one CP-SAT solve of the whole model per level (no components, no LP fixing).

For models the fast path cannot read as rows (assumptions, enforced linear constraints) and the
naive baseline of the benchmarks. Same levels, same exact tie-break, same `Solution`.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.errors import InfeasibleError, NoSolutionError, PlannerError
from planner.lang import say
from planner.model import Model
from planner.solver._base import Solution, read_values
from planner.solver.cp import solve_stoppable

log = logging.getLogger(__name__)


# =========================================================================== the plain path
def solve_model_direct(model: Model, *, time_limit_s: float = 60.0, seed: int = 0, workers: int = 0,
                       hint: np.ndarray | None = None, log_progress: bool = False,
                       parameters: dict | None = None) -> Solution:
    """One CP-SAT solve of the whole model per level (no components, no LP fixing).

    The path for models `solve_model` cannot read as rows (assumptions — `explain` names
    conflicts with them — or enforced constraints), and the naive baseline of the benchmarks.
    Same levels, same exact tie-break, same `Solution`.

    Parameters
    ----------
    parameters : dict, optional
        CP-SAT parameters set on every solve (default: CP-SAT's own, `workers` workers).
    """
    start = time.perf_counter()
    cp = model.cp.clone()       # fixings and hints go on a copy: the built model stays reusable
    if hint is not None:
        _hint(model, cp, np.asarray(hint, bool), None)
    phases: list[dict] = []
    selected = national = None
    status_name, objective, bound = "UNKNOWN", math.nan, math.nan
    for i, level in enumerate(model.objectives):
        remaining = time_limit_s - (time.perf_counter() - start)
        if i > 0 and remaining <= 0.01:
            log.warning(say(f"时限已到，未运行求解阶段 {level.name}", f"time limit reached before phase {level.name}"))
            break
        # Lexicographic in one solve: K exceeds every sum of priorities, so a priority can
        # only decide between slates of equal objective — never trade score for priority.
        k = sum(level.ties) + 1
        ties = cp_model.LinearExpr.weighted_sum(level.variables, level.ties) if level.ties else 0
        cp.maximize(level.expr * k + ties if level.ties else level.expr)
        solver = _solver(remaining, seed, workers, log_progress)
        for key, value in (parameters or {}).items():
            setattr(solver.parameters, key, value)
        status = solve_stoppable(solver, cp)
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        value = solver.value(level.expr) / float(level.units) if found else None
        top = math.floor(solver.best_objective_bound / k + 1e-9) / float(level.units) if level.ties \
            else solver.best_objective_bound / float(level.units)
        phases.append({"phase": level.name, "status": solver.status_name(status), "objective": value,
                       "best_bound": top, "wall_s": round(solver.wall_time, 4), "tie_break": bool(level.ties)})
        log.info("phase %s: %s, objective %s, %.2f s", level.name, solver.status_name(status), value, solver.wall_time)
        if status == cp_model.MODEL_INVALID:
            raise PlannerError(f"CP-SAT says the model is invalid: {cp.validate()}")
        if i == 0:
            if status == cp_model.INFEASIBLE:
                raise InfeasibleError("no slate satisfies every hard rule of the scenario")
            if not found:
                raise NoSolutionError(f"no slate found within the time limit of {time_limit_s:g} s")
            status_name, objective, bound = solver.status_name(status), value, max(top, value)
        if not found:
            break
        selected, national = read_values(model, np.asarray(solver.response_proto.solution, dtype=np.int64))
        # Fix this level's decisions before the next, and keep its optimum (soft-rule slack
        # in its objective may not grow in a later level).
        for var, chosen in zip(level.variables, solver.boolean_values(pd.Series(level.variables)).to_numpy()):
            cp.add(var == int(chosen))
        cp.add(level.expr >= round(solver.value(level.expr)))
        _hint(model, cp, selected, national)

    gap = 0.0 if status_name == "OPTIMAL" else abs(bound - objective) / max(1.0, abs(objective))
    return Solution(status=status_name, selected=selected, national=national, objective=objective,
                    best_bound=bound, gap=gap, solve_s=time.perf_counter() - start, phases=phases)


def _solver(time_limit_s: float, seed: int, workers: int, log_progress: bool) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.random_seed = int(seed)
    solver.parameters.num_workers = int(workers)
    solver.parameters.log_search_progress = log_progress
    return solver


def _hint(model: Model, cp: cp_model.CpModel, selected: np.ndarray, national: np.ndarray | None) -> None:
    cp.clear_hints()
    for pos in np.flatnonzero(model.free):
        cp.add_hint(model.select[pos], bool(selected[pos]))
    if national is not None:
        for pos in np.flatnonzero(model.may_national):
            cp.add_hint(model.national[pos], bool(national[pos]))

