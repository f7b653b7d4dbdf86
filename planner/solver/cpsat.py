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

import concurrent.futures
import logging
import math
import os
import time
from typing import Iterable

import numpy as np

from planner.errors import InfeasibleError, NoSolutionError
from planner.model import INT_MAX, LinearRows, Model, Unsupported, linear_terms, read_rows
from planner.solver._base import Solution, decision_index, hint_values, read_values
from planner.solver.direct import solve_model_direct
from planner.solver.levels import solve_level
from planner.solver.progress import watcher
from planner.solver.warm import LevelTerms, Warm, changed_rows, clean_fixings, constraint_rows, patched_rows

log = logging.getLogger(__name__)


# =========================================================================== the fast path
PHASES = {"score": ("省级推荐名单", "the provincial slate"),
          "score_years": ("名额的年度安排", "which year each place goes to"),
          "national_score": ("国家级推荐", "the national picks"),
          "planned_score": ("以后年度的计划", "the planned picks of later years")}


RESERVE = 0.05          # of the time left, kept for each later level while a level is unproven


def solve_model(model: Model, *, time_limit_s: float = 60.0, seed: int = 0, workers: int = 0,
                hint: np.ndarray | None = None, log_progress: bool = False, engine: str = "cpsat",
                max_rounds: int | None = None, warm: Warm | None = None,
                changed: Iterable[int] | None = None, earlier: Iterable[Warm] = ()) -> Solution:
    """Solve the model's objectives one after another, each within the optimum of the last.

    Each level (``model.objectives``: slate score, then national picks) is solved exactly —
    its objective first, then the fixed tie-break priorities — by components, LP bound,
    reduced-cost fixing and CP-SAT on the remaining core (see the module docstring). The
    next level keeps this level's decisions and its optimum.

    When the time runs out, nothing found is lost: the best slate of every component and a
    proven bound (status FEASIBLE, with the gap), and a level that could not be run keeps the
    decisions of the level before it (FEASIBLE, named in ``warnings``). The status is the
    weakest of every level's: OPTIMAL only when every level is proven.

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
    engine : {"cpsat", "highs"}
        What solves the components: CP-SAT on LP-fixed cores, with HiGHS racing on components
        that stay unproven (default), or HiGHS on every whole component (``--backend highs``).
    max_rounds : int, optional
        Stop every component after this many solves, as if the time were up (tests).
    warm : Warm, optional
        ``solution.warm`` of an optimal solve of this same model before some constraint bounds
        changed (`solver.warm`): only the components holding a changed row are solved again,
        starting from the kept slate; every other keeps its values. The slate is the one a
        cold solve gives.
    changed : iterable of int, optional
        With `warm`: every proto constraint whose domain changed since that solve (and nothing
        else changed). Without it the rows are read again and compared.
    earlier : iterable of Warm, optional
        With `warm`: states of earlier solves of the same model; a component changed since
        `warm` but as it was in one of them keeps that solve's values (a what-if back to the base).

    Raises
    ------
    InfeasibleError
        No slate satisfies the hard rules (the conflicts are named by `explain`).
    NoSolutionError
        The time ran out before any slate was found.
    """
    start = time.perf_counter()
    reused = _warm_rows(model, warm, changed) if warm is not None else None
    if reused is not None:
        rows, touched = reused
    else:
        try:
            rows = read_rows(model.cp)
        except Unsupported as why:
            log.info("solving the model as a whole (%s)", why)
            return solve_model_direct(model, time_limit_s=time_limit_s, seed=seed, workers=workers, hint=hint,
                                      log_progress=log_progress)
    deadline = start + time_limit_s
    threads = max(1, workers if workers > 0 else (os.cpu_count() or 1))
    levels = model.objectives
    terms = warm.levels if reused is not None and warm.level_ids == tuple(map(id, levels)) else \
        [_level_terms(level, rows.n_vars) for level in levels]
    decisions = warm.decisions if reused is not None and warm.decisions is not None else decision_index(model)
    if reused is not None:
        lower, upper, kept_components, kept_variables = clean_fixings(warm, rows, touched, earlier)
        guess = warm.values
        log.info("warm re-solve: %d changed row(s), %d component(s) and %d variable(s) kept", len(touched),
                 kept_components, kept_variables)
    else:
        lower, upper, kept_components, kept_variables = rows.lower.copy(), rows.upper.copy(), 0, 0
        guess = hint_values(model, rows, hint) if hint is not None else None
    # The solves run on worker threads even with one worker: this thread waits for them and
    # stops them all on Ctrl-C (CP-SAT is told to leave SIGINT to Python).
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads)
    try:
        solution, values, labels = _solve_levels(model, rows, lower, upper, levels, terms, guess, threads, pool,
                                                 deadline, time_limit_s, seed=seed, log_progress=log_progress,
                                                 engine=engine, max_rounds=max_rounds, decisions=decisions)
    finally:
        pool.shutdown(wait=True)
    if kept_components:
        for phase in solution.phases:
            phase.update(kept_components=kept_components, kept_variables=kept_variables)
    if solution.status == "OPTIMAL" and values is not None:
        solution.warm = Warm(rows=rows, values=values, labels=warm.labels if reused is not None else labels,
                             constraint_row=warm.constraint_row if reused is not None else constraint_rows(model.cp.proto),
                             n_vars=rows.n_vars, n_constraints=len(model.cp.proto.constraints), levels=terms,
                             level_ids=tuple(map(id, levels)), decisions=decisions)
    solution.solve_s = time.perf_counter() - start
    return solution


def _warm_rows(model: Model, warm: Warm, changed: Iterable[int] | None) -> tuple[LinearRows, np.ndarray] | None:
    """The rows of a warm re-solve and the rows changed, or None (then the model is solved cold)."""
    if model.assumptions:
        return None
    if changed is not None:
        return patched_rows(warm, model, changed)
    try:
        rows = read_rows(model.cp)
    except Unsupported:
        return None
    touched = changed_rows(warm, rows)
    return None if touched is None else (rows, touched)


def _level_terms(level, n_vars: int) -> LevelTerms:
    """A level's objective and tie-break as arrays over the proto variables."""
    score_vars, score_coefs, offset = linear_terms(level.expr)
    score = np.zeros(n_vars, np.int64)
    np.add.at(score, score_vars, score_coefs)
    ties = np.zeros(n_vars, np.int64)
    chosen = np.array([v.index for v in level.variables], dtype=np.int64)
    if level.ties:
        ties[chosen] = np.asarray(level.ties, dtype=np.int64)
    return LevelTerms(score=score, ties=ties, offset=int(offset), chosen=chosen)


def _solve_levels(model: Model, rows: LinearRows, lower: np.ndarray, upper: np.ndarray, levels: list,
                  terms: list[LevelTerms], guess: np.ndarray | None, threads: int, pool, deadline: float,
                  time_limit_s: float, decisions: tuple[np.ndarray, np.ndarray] | None = None,
                  **options) -> tuple[Solution, np.ndarray | None, np.ndarray | None]:
    """Every level in turn; the solution, the proto values after the last level and the first level's components."""
    phases: list[dict] = []
    warnings: list[str] = []
    selected = national = None
    status_name, objective, bound = "UNKNOWN", math.nan, math.nan
    values = first_labels = None
    for i, level in enumerate(levels):
        now = time.perf_counter()
        if i > 0 and deadline - now <= 0.01:
            log.warning("time limit reached before phase %s", level.name)
            phases.append({"phase": level.name, "status": "NOT_RUN", "objective": None, "best_bound": None,
                           "wall_s": 0.0, "tie_break": bool(level.ties), "backend": options.get("engine", "cpsat")})
            warnings.append(_not_run(level.name))
            status_name = "FEASIBLE"
            continue
        later = len(levels) - i - 1
        level_deadline = (deadline - (deadline - now) * min(0.5, RESERVE * later)
                          if math.isfinite(deadline) else deadline)        # no limit: nothing to keep back
        score, ties, offset = terms[i].score, terms[i].ties, terms[i].offset
        units = float(level.units)
        result = solve_level(rows, lower, upper, score, ties, deadline=level_deadline, threads=threads, guess=guess,
                             progress=watcher(level.name, offset, units), pool=pool, **options)
        found = result.values is not None
        if i == 0:
            first_labels = result.labels
        value = (result.score + offset) / units if found else None
        top = (result.bound + offset) / units if found else math.nan
        phases.append({"phase": level.name, "status": result.status,
                       "objective": value, "best_bound": top, "wall_s": round(time.perf_counter() - now, 4),
                       "tie_break": bool(level.ties), "backend": options.get("engine", "cpsat"), **result.stats,
                       **({"unproven": _unproven(model, result.components, units)}
                          if result.status != "OPTIMAL" or result.stats.get("engines", {}).get("highs") else {})})
        log.info("phase %s: %s, objective %s, %.2f s (%s)", level.name, result.status, value,
                 time.perf_counter() - now, result.stats)
        if result.status == "INFEASIBLE" and i == 0:
            raise InfeasibleError("no slate satisfies every hard rule of the scenario")
        if i == 0:
            if not found:
                error = NoSolutionError(f"no slate found within the time limit of {time_limit_s:g} s")
                error.timed_out = True
                raise error
            status_name, objective, bound = result.status, value, max(top, value)
        if result.status != "OPTIMAL":
            status_name = "FEASIBLE"
            warnings.append(_unproven_warning(level.name, result, value, top, found))
        if not found:
            continue                    # this level keeps the decisions of the one before
        values = result.values
        selected, national = read_values(model, values, decisions)
        # Fix this level's decisions before the next (the provincial slate is settled before the
        # national picks are drawn from it) and keep its optimum: variables of its objective that
        # stay free (soft-rule slack) may not lose score, component by component.
        chosen = terms[i].chosen
        lower[chosen] = values[chosen]
        upper[chosen] = values[chosen]
        if i + 1 < len(levels):
            rows = _keep_optimum(rows, score, values, lower, upper, result.labels)
        guess = values

    gap = 0.0 if status_name == "OPTIMAL" else abs(bound - objective) / max(1.0, abs(objective))
    return (Solution(status=status_name, selected=selected, national=national, objective=objective,
                     best_bound=bound, gap=gap, solve_s=0.0, phases=phases, warnings=warnings, interrupted=False),
            values, first_labels)


def phase_label(name: str) -> str:
    """A level's name as a person reads it: Chinese first, the code in brackets."""
    zh, en = PHASES.get(name, (name, name))
    return f"{zh}（{en}, phase {name}）"


def _not_run(name: str) -> str:
    return (f"时间用完，未求解{phase_label(name)}：其决定沿用上一阶段的可行解，未证明最优 — the time limit came "
            f"before this phase; its decisions are feasible, not proven best")


def _unproven_warning(name: str, result, value: float | None, top: float, found: bool) -> str:
    proven, total = result.stats.get("proven", 0), result.stats.get("to_solve", 0)
    if not found:
        return (f"时间用完，{phase_label(name)}未找到改进解：沿用上一阶段的可行解（{proven}/{total} 个独立部分已证明）"
                f" — not solved within the time limit; the decisions of the phase before are kept")
    gap = abs(top - value) / max(1.0, abs(value))
    return (f"时间用完，{phase_label(name)}未证明最优：{proven}/{total} 个独立部分已证明，目标值 {value:.1f}，"
            f"上界 {top:.1f}，差距 {gap:.2%} — not proven optimal within the time limit: {proven} of {total} "
            f"components proven, objective {value:.1f}, bound {top:.1f}, gap {gap:.2%}")


def _unproven(model: Model, components: list[dict], units: float) -> list[dict]:
    """The components not proven, or proven by HiGHS, in points, named by their first candidate."""
    rows = {model.select[i].index: int(i) for i in np.flatnonzero(model.free)}
    rows.update({model.national[i].index: int(i) for i in np.flatnonzero(model.may_national)})
    ids = model.frame["candidate_id"].astype(str).to_numpy()
    out = []
    for c in components:
        if c["status"] == "OPTIMAL" and c["engine"] != "highs":
            continue
        row = rows.get(c["first"])
        out.append({"component": c["component"], "variables": c["variables"], "status": c["status"],
                    "engine": c["engine"], "first_candidate": None if row is None else ids[row],
                    "objective": None if c["objective"] is None else c["objective"] / units,
                    "bound": None if c["bound"] is None else c["bound"] / units,
                    "gap": None if c["objective"] is None else
                    abs(c["bound"] - c["objective"]) / max(units, abs(c["objective"]))})
    return out


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


