"""HiGHS (highspy) as a second engine, on the very model the CP-SAT path solves.

Owns HiGHS on one component (`solve_component`: what `--backend highs` runs on every component,
and what races CP-SAT on a hard one) and on the whole model (`solve_model_highs_whole`, the
benchmarks' baseline). The model is the one
`model.build_model` made from the rule objects — the same candidates made unavailable
(`availability`), the same groups (`groups.rule_groups`), bounds, lookahead rows and levels —
read back as linear rows (`components.read_rows`), so the two backends can never disagree on
what the rules say. Each lexicographic level is solved the way a MIP solver does it exactly:
the level's objective first; then, with the objective held at its optimum, the tie-break
priorities; the level's decisions are fixed (and its optimum kept) before the next. Returns a
`solver.Solution`, so `rounds.finish.finish` audits the slate like any other.

Chosen by ``backend="highs"`` (CLI ``--backend highs``); CP-SAT stays the default. highspy is
an optional dependency (``pip install planner[bench]``); without it CP-SAT races nothing. Does
not own building the model (`model`), the level loop (`solver.cpsat`) nor the schedule.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np

from planner.errors import InfeasibleError, NoSolutionError, PlannerError
from planner.lang import say
from planner.model import INT_MAX, INT_MIN, LinearRows, Model, linear_terms, read_rows
from planner.solver._base import Component, LevelProblem, Solution, hint_values, read_values
from planner.solver.cores import CoreResult, Stop, feasible, restrict

log = logging.getLogger(__name__)

# The objectives are integers, so a solution within 1 of the bound is optimal: the absolute gap
# just below 1 is exact and spares HiGHS the last, useless part of the proof.
ABS_GAP = 1 - 1e-6


def available() -> bool:
    """Whether highspy can be imported."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def solve_model_highs_whole(model: Model, *, time_limit_s: float = 60.0, seed: int = 0, workers: int = 0,
                            hint: np.ndarray | None = None, log_progress: bool = False) -> Solution:
    """HiGHS on the whole model, one MIP per level and step: objective, then tie-break, then fix.

    The benchmarks' "HiGHS on the whole model"; `--backend highs` solves by components instead
    (`backends.solve_model_highs`).

    Parameters
    ----------
    model : Model
        Built by `model.build_model` (without assumptions).
    time_limit_s : float
        Wall-clock budget for every level and step together.
    seed : int
        HiGHS ``random_seed``.
    workers : int
        HiGHS ``threads`` (0 = HiGHS's choice).
    hint : ndarray of bool, optional
        A previous selection over the frame's rows, given to HiGHS as a MIP start.

    Raises
    ------
    PlannerError
        highspy is not installed, or the model holds a constraint HiGHS is not given.
    InfeasibleError, NoSolutionError
        As `solver.solve_model`.
    """
    try:
        import highspy
    except ImportError:
        raise PlannerError("the HiGHS backend needs highspy: pip install highspy") from None
    start = time.perf_counter()
    rows = read_rows(model.cp)
    highs = _highs(highspy, rows, seed=seed, workers=workers, log_progress=log_progress)
    read_s = time.perf_counter() - start
    lower, upper = rows.lower.astype(float), rows.upper.astype(float)
    guess = hint_values(model, rows, hint) if hint is not None else None
    phases: list[dict] = []
    selected = national = None
    status_name, objective, bound = "UNKNOWN", math.nan, math.nan
    for i, level in enumerate(model.objectives):
        if i > 0 and time_limit_s - (time.perf_counter() - start) <= 0.01:
            log.warning(say(f"时限已到，未运行求解阶段 {level.name}", f"time limit reached before phase {level.name}"))
            break
        tick = time.perf_counter()
        score_vars, score_coefs, offset = linear_terms(level.expr)
        score = np.zeros(rows.n_vars)
        np.add.at(score, score_vars, score_coefs.astype(float))
        status, values, top = _maximise(highspy, highs, score, guess, start + time_limit_s)
        steps = 1
        units = float(level.units)
        found = values is not None
        if found and status == "OPTIMAL" and level.ties:
            # The tie-break: the best priorities among the slates that keep this optimum.
            best = float(np.round(score @ values))
            optimum_row = _add_row(highspy, highs, score, best, math.inf)
            ties = np.zeros(rows.n_vars)
            ties[[v.index for v in level.variables]] = np.asarray(level.ties, dtype=float)
            status2, values2, _ = _maximise(highspy, highs, ties, values, start + time_limit_s)
            steps = 2
            if values2 is not None:
                values = values2
            if status2 != "OPTIMAL":
                status = "FEASIBLE"
            highs.deleteRows(1, np.array([optimum_row], dtype=np.int32))
        value = (float(np.round(score @ values)) + offset) / units if found else None
        top_value = (top + offset) / units if found and math.isfinite(top) else math.nan
        phases.append({"phase": level.name, "status": status, "objective": value,
                       "best_bound": value if status == "OPTIMAL" else top_value,
                       "wall_s": round(time.perf_counter() - tick, 4), "tie_break": bool(level.ties),
                       "highs_solves": steps, **({"read_s": round(read_s, 4)} if i == 0 else {})})
        log.info("HiGHS phase %s: %s, objective %s, %.2f s", level.name, status, value, time.perf_counter() - tick)
        if i == 0:
            if status == "INFEASIBLE":
                raise InfeasibleError("no slate satisfies every hard rule of the scenario")
            if not found:
                raise NoSolutionError(f"no slate found within the time limit of {time_limit_s:g} s")
            status_name, objective = status, value
            bound = value if status == "OPTIMAL" else max(top_value, value)
        if not found:
            break
        values = np.round(values).astype(np.int64)
        selected, national = read_values(model, values)
        # Fix this level's decisions and keep its optimum for the next.
        chosen = np.array([v.index for v in level.variables], dtype=np.int64)
        lower[chosen] = upper[chosen] = values[chosen]
        highs.changeColsBounds(len(chosen), chosen.astype(np.int32), lower[chosen], upper[chosen])
        if i + 1 < len(model.objectives):
            _add_row(highspy, highs, score, float(np.round(score @ values)), math.inf)
        guess = values
    gap = 0.0 if status_name == "OPTIMAL" else abs(bound - objective) / max(1.0, abs(objective))
    return Solution(status=status_name, selected=selected, national=national, objective=objective,
                    best_bound=bound, gap=gap, solve_s=time.perf_counter() - start, phases=phases)


# --------------------------------------------------------------------------- one component
def solve_component(p: LevelProblem, sub: Component, *, limit_s: float, stop: Stop | None = None) -> CoreResult:
    """HiGHS on one whole component (no fixing: HiGHS bounds it with its own LP), lexicographic:
    the score, then — with the score held at its optimum and the variables that optimum fixes
    by their reduced costs fixed — the tie-break priorities.

    Returns the status, the values (checked against the component's rows in exact integers),
    and an upper bound on the component's score (HiGHS's dual bound). The MIP start is the best
    slate found so far by any engine.
    """
    import highspy

    deadline = min(p.deadline, time.perf_counter() + limit_s)
    highs = _quiet(highspy, p.log_progress)
    highs.setOptionValue("output_flag", bool(p.log_progress))
    highs.setOptionValue("random_seed", int(p.seed) % 2**31)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", ABS_GAP)
    n = len(sub.members)
    inf = highspy.kHighsInf
    highs.addVars(n, sub.lower.astype(float), sub.upper.astype(float))
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger))
    starts = np.searchsorted(sub.e_row, np.arange(len(sub.lo)))
    lo = np.where(sub.lo == INT_MIN, -inf, sub.lo.astype(float))
    hi = np.where(sub.hi == INT_MAX, inf, sub.hi.astype(float))
    highs.addRows(len(sub.lo), lo, hi, len(sub.e_var), starts.astype(np.int32), sub.e_var.astype(np.int32),
                  sub.e_coef.astype(float))
    if stop is not None:
        highs.HandleUserInterrupt = True
        if not stop.register(highs):
            return CoreResult("UNKNOWN", None)
    try:
        status, values, top = _maximise(highspy, highs, sub.score.astype(float), sub.best, deadline)
        values = _exact(sub, values)
        if status == "INFEASIBLE":
            return CoreResult("INFEASIBLE", None, -math.inf)
        if values is None:
            return CoreResult("UNKNOWN", None, top if math.isfinite(top) else math.inf)
        best = float(sub.score @ values)
        if status != "OPTIMAL":
            return CoreResult("FEASIBLE", values, max(top, best) if math.isfinite(top) else math.inf)
        if not np.any(sub.ties):
            return CoreResult("OPTIMAL", values, best)
        _add_row(highspy, highs, sub.score.astype(float), best, math.inf)
        if math.isfinite(sub.bound):
            # Every slate scoring `best` lies within bound − best of the Lagrangian bound: the
            # variables reduced-cost fixing settles at that threshold keep their value in all of
            # them (`cores.restrict`; HiGHS's own fixing reads the ties' LP, not the score's).
            lower, upper = restrict(sub, sub.bound - best + 2 * sub.tolerance)
            highs.changeColsBounds(n, np.arange(n, dtype=np.int32), lower.astype(float), upper.astype(float))
        status2, values2, _ = _maximise(highspy, highs, sub.ties.astype(float), values, deadline)
        values2 = _exact(sub, values2)
        if values2 is None or float(sub.score @ values2) < best:
            return CoreResult("FEASIBLE", values, best)
        return CoreResult("OPTIMAL" if status2 == "OPTIMAL" else "FEASIBLE", values2, best)
    finally:
        if stop is not None:
            stop.release(highs)


def _exact(sub: Component, values: np.ndarray | None) -> np.ndarray | None:
    """HiGHS's values rounded to integers, or None if rounding breaks a row (never seen)."""
    if values is None:
        return None
    values = np.round(values).astype(np.int64)
    return values if feasible(sub, values) else None


def _quiet(highspy, log_progress: bool):
    """A new Highs instance; without `log_progress` its start-up banner does not reach stdout."""
    if log_progress:
        return highspy.Highs()
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _highs(highspy, rows: LinearRows, *, seed: int, workers: int, log_progress: bool):
    """A Highs instance holding the rows, every variable integer."""
    highs = _quiet(highspy, log_progress)
    highs.setOptionValue("output_flag", bool(log_progress))
    highs.setOptionValue("random_seed", int(seed))
    if workers > 0:
        highs.setOptionValue("threads", int(workers))
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", ABS_GAP)
    n = rows.n_vars
    inf = highspy.kHighsInf
    highs.addVars(n, rows.lower.astype(float), rows.upper.astype(float))
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                np.full(n, highspy.HighsVarType.kInteger))
    lo = np.where(rows.lo == INT_MIN, -inf, rows.lo.astype(float))
    hi = np.where(rows.hi == INT_MAX, inf, rows.hi.astype(float))
    highs.addRows(rows.n_rows, lo, hi, len(rows.var), rows.start[:-1].astype(np.int32),
                  rows.var.astype(np.int32), rows.coef.astype(float))
    return highs


def _add_row(highspy, highs, coefs: np.ndarray, lo: float, hi: float) -> int:
    index = np.flatnonzero(coefs)
    highs.addRow(lo, highspy.kHighsInf if math.isinf(hi) else hi, len(index), index.astype(np.int32),
                 coefs[index].astype(float))
    return highs.getNumRow() - 1


def _maximise(highspy, highs, objective: np.ndarray, start: np.ndarray | None,
              deadline: float) -> tuple[str, np.ndarray | None, float]:
    """Maximise `objective`; (status, values, bound)."""
    n = len(objective)
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    highs.changeColsCost(n, np.arange(n, dtype=np.int32), objective.astype(float))
    highs.setOptionValue("time_limit", max(0.01, deadline - time.perf_counter()))
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(np.asarray(start, dtype=float))
        solution.value_valid = True
        highs.setSolution(solution)
    highs.run()
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2          # kSolutionStatusFeasible
    values = np.array(highs.getSolution().col_value) if has_solution else None
    if model_status == highspy.HighsModelStatus.kOptimal:
        return "OPTIMAL", values, float(info.objective_function_value)
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return "INFEASIBLE", None, math.nan
    if model_status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        raise PlannerError(f"HiGHS says the model is {highs.modelStatusToString(model_status)} (a bug)")
    return ("FEASIBLE" if values is not None else "UNKNOWN"), values, float(info.mip_dual_bound)
