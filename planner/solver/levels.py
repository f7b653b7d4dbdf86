"""One objective level, solved exactly over linear rows: components, LP bound, reduced-cost fixing.

Owns `solve_level`: the decided variables are substituted out, the rest falls apart into
independent components (`model.components`); each gets a Lagrangian bound from the LP
relaxation (`solver.lp`) and its reduced costs fix every variable that cannot change in any
optimal slate, so CP-SAT (`solver.cores`) only searches the small core near the thresholds —
exactly: if the core's optimum does not prove the fixing safe, the core is widened and solved
again. The components are solved side by side, each on its own, by `solver.schedule`. For a
level solved again and again with other scores (`analysis.resolver`), the caller may ask for
small components to be solved as one (`merge`), for each component's first threshold to start
at the gap it had the last time (`gaps`) and for a core's small independent parts to be decided
by enumeration (`small_parts`); each leaves the optimum as it is. Does not own the order of
levels (`solver.cpsat`).
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from planner.model import INT_MAX, INT_MIN, LinearRows, component_labels
from planner.solver._base import Component, LevelProblem, LevelResult
from planner.solver.cores import FIRST_STEP, first_threshold, remember_gap
from planner.solver.lp import WarmLps, lp_duals
from planner.solver.schedule import solve_components


def solve_level(rows: LinearRows, lower: np.ndarray, upper: np.ndarray, score: np.ndarray, ties: np.ndarray, *,
                deadline: float, seed: int = 0, threads: int = 1, guess: np.ndarray | None = None,
                log_progress: bool = False, engine: str = "cpsat", max_rounds: int | None = None,
                progress: Callable[[int, int, float, float], None] | None = None,
                pool: concurrent.futures.Executor | None = None, warm: WarmLps | None = None,
                merge: int = 0, gaps: dict[int, float] | None = None, small_parts: int = 0) -> LevelResult:
    """Maximise ``score·x``, then ``ties·x`` among the maximisers, exactly, over ``rows``.

    When the deadline comes first: the best slate found for every component and a proven bound
    (status FEASIBLE), or no values when a component has no slate yet (UNKNOWN).

    Parameters
    ----------
    rows : LinearRows
    lower, upper : ndarray of int64
        Current variable bounds (decided variables have lower == upper).
    score, ties : ndarray of int64
        Objective and tie-break priority per variable.
    deadline : float
        `time.perf_counter()` value by which to stop.
    seed : int
        CP-SAT `random_seed`.
    threads : int
        Cores solved side by side.
    guess : ndarray of int64, optional
        Values to hint CP-SAT with (kept as a component's first slate where they are feasible).
    engine : {"cpsat", "highs"}
        CP-SAT on the cores (HiGHS racing on components that stay unproven), or HiGHS on
        every whole component.
    max_rounds : int, optional
        Stop each component after this many solves, as if the time were up (tests).
    progress : callable, optional
        ``progress(proven, components, best, bound)`` (model integers) as components settle.
    pool : Executor, optional
        A thread pool of `threads` workers to run the solves on (one is made when not given).
    warm : WarmLps, optional
        The LP of earlier solves over the same `rows`, re-solved from its last basis (many
        solves that differ in scores and bounds only: `analysis.resolver`).
    gaps : dict, optional
        Kept by the caller between solves of this level: the fixing threshold each component
        needed the last time — its first core starts there — updated by this solve
        (`cores.first_threshold`).
    merge : int
        Components of at most this many variables are solved together, as one (their cores in
        one CP-SAT model; the optimum of independent parts is each part's own optimum) — for
        callers that solve a level many times and do not read its components one by one.
    """
    active = lower < upper
    base = np.where(active, 0, lower)
    const = _row_const(rows, base)
    lo = np.where(rows.lo == INT_MIN, INT_MIN, rows.lo - const)
    hi = np.where(rows.hi == INT_MAX, INT_MAX, rows.hi - const)
    live = active[rows.var]
    has_active = _row_sums_bool(live, rows.start)
    labels = component_labels(rows, active)
    if np.any(~has_active & ((lo > 0) | (hi < 0))):
        return LevelResult("INFEASIBLE", None, 0, math.nan, labels, {"components": 0})
    n_comp = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    values = base.copy()

    entry_rows = rows.entry_rows()
    row_comp = np.full(rows.n_rows, -1, np.int64)
    row_comp[entry_rows[live]] = labels[rows.var[live]]
    comp_rows = np.bincount(row_comp[row_comp >= 0], minlength=n_comp)

    # Components without rows: each variable on its own goes to its better bound.
    lone = active & (comp_rows[np.maximum(labels, 0)] == 0) if n_comp else np.zeros(rows.n_vars, bool)
    weight = score.astype(float) * (float(ties[lone].sum()) + 1.0) + ties
    values[lone] = np.where(weight[lone] > 0, upper[lone], lower[lone])

    todo = [c for c in range(n_comp) if comp_rows[c] > 0]
    stats = {"components": n_comp, "variables": int(active.sum())}
    if not todo:
        total = int(score @ values)
        return LevelResult("OPTIMAL", values, total, float(total), labels, stats)

    problem = LevelProblem(rows=rows, lo=lo, hi=hi, lower=lower, upper=upper, score=score, ties=ties, labels=labels,
                           row_comp=row_comp, live=live, guess=guess, seed=seed, deadline=deadline,
                           log_progress=log_progress, engine=engine, max_rounds=max_rounds, small_parts=small_parts)
    duals = lp_duals(problem, todo, threads, warm) if engine == "cpsat" else None
    if merge > 0:
        problem, todo = _merged(problem, todo, merge)
    groups = Groups.of(problem)
    subs = {c: component_of(problem, c, duals, groups) for c in todo}
    if gaps is not None:
        for sub in subs.values():
            first_threshold(sub, gaps)
    fixed = float(score[~active] @ values[~active]) + float(score[lone] @ values[lone])
    report = None if progress is None else \
        (lambda done, total, best, bound: progress(done, total, fixed + best, fixed + bound))
    outcomes, rounds = solve_components(problem, subs, threads, report, pool)
    engines: dict[str, int] = {}
    for o in outcomes.values():
        if o.status == "OPTIMAL":
            engines[o.engine or "none"] = engines.get(o.engine or "none", 0) + 1
    stats.update(core_variables=int(sum(o.core for o in outcomes.values())),
                 cp_sat_solves=int(sum(o.solves for o in outcomes.values())), rounds=rounds,
                 proven=int(sum(o.status == "OPTIMAL" for o in outcomes.values())), to_solve=len(todo),
                 engines=engines)
    statuses = {o.status for o in outcomes.values()}
    if "INFEASIBLE" in statuses:
        return LevelResult("INFEASIBLE", None, 0, math.nan, labels, stats)
    if gaps is not None:
        for c, o in outcomes.items():
            remember_gap(subs[c], o, gaps)
    reports = [_component_report(c, o, subs[c]) for c, o in outcomes.items()]
    if "UNKNOWN" in statuses:
        return LevelResult("UNKNOWN", None, 0, math.nan, labels, stats, reports)
    top = fixed
    for outcome in outcomes.values():
        values[outcome.members] = outcome.values
        top += outcome.bound
    total = int(score @ values)
    status = "OPTIMAL" if statuses == {"OPTIMAL"} else "FEASIBLE"
    return LevelResult(status, values, total, max(top, float(total)), labels, stats, reports)


MERGED_MAX = 2000          # variables of one group of merged small components
MERGED_BITS = 56           # and its (Σ |score| + 1)·(Σ ties + 1) below 2^56: one CP-SAT solve per core


def _merged(p: LevelProblem, todo: list[int], most: int) -> tuple[LevelProblem, list[int]]:
    """The problem with its components of at most `most` variables in groups, each group one label.

    A group is as many small components, in order, as fit `MERGED_MAX` variables and keep the
    lexicographic objective of a core within `MERGED_BITS` (so a core is solved in one call).
    """
    n_comp = int(p.labels.max()) + 1
    inside = p.labels >= 0
    sizes = np.bincount(p.labels[inside], minlength=n_comp)
    span = np.maximum(np.abs(p.lower), np.abs(p.upper)).astype(float)
    weight = np.bincount(p.labels[inside], weights=(np.abs(p.score) * span)[inside], minlength=n_comp)
    tie = np.bincount(p.labels[inside], weights=(np.abs(p.ties) * span)[inside], minlength=n_comp)
    target = np.arange(n_comp)
    kept: list[int] = []
    head, count, total, ties = -1, 0, 0.0, 0.0
    for c in todo:
        if sizes[c] > most:
            kept.append(c)
            continue
        if head < 0 or count + sizes[c] > MERGED_MAX or \
                (total + weight[c] + 1.0) * (ties + tie[c] + 1.0) >= 2.0 ** MERGED_BITS:
            head, count, total, ties = c, 0, 0.0, 0.0
            kept.append(c)
        target[c] = head
        count, total, ties = count + int(sizes[c]), total + float(weight[c]), ties + float(tie[c])
    labels = np.where(inside, target[np.maximum(p.labels, 0)], -1)
    row_comp = np.where(p.row_comp >= 0, target[np.maximum(p.row_comp, 0)], -1)
    return dataclasses.replace(p, labels=labels, row_comp=row_comp), sorted(kept)


def _component_report(c: int, outcome, sub: Component) -> dict:
    """One component as the summary states it (model integers; `solver.cpsat` turns them into points)."""
    value = None if outcome.values is None else float(sub.score @ outcome.values)
    return {"component": int(c), "variables": int(len(sub.members)), "status": outcome.status,
            "engine": outcome.engine or "none" if outcome.status == "OPTIMAL" else "",
            "objective": value, "bound": None if outcome.values is None else float(outcome.bound),
            "first": int(sub.members[0])}


def component_of(p: LevelProblem, c: int, duals: np.ndarray | None, groups: Groups) -> Component:
    """Component `c` in local indices, with its Lagrangian bound and first fixing threshold."""
    members = groups.var_order[groups.var_start[c]:groups.var_start[c + 1]]
    rows_c = groups.row_order[groups.row_start[c]:groups.row_start[c + 1]]
    starts, stops = p.rows.start[rows_c], p.rows.start[rows_c + 1]
    lens = stops - starts
    take = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(int(lens.sum()))
    keep = p.live[take]
    sub = Component(members=members, lower=p.lower[members], upper=p.upper[members], score=p.score[members],
               ties=p.ties[members], e_row=np.repeat(np.arange(len(rows_c)), lens)[keep],
               e_var=groups.local[p.rows.var[take][keep]], e_coef=p.rows.coef[take][keep], lo=p.lo[rows_c],
               hi=p.hi[rows_c], hint=None if p.guess is None else p.guess[members])
    sub.bound, sub.reduced = _lagrangian(sub, None if duals is None else duals[rows_c])
    nonzero = np.abs(sub.score[sub.score != 0]).astype(float)
    sub.step = float(nonzero.mean()) / FIRST_STEP if len(nonzero) else 1.0
    span = np.maximum(np.abs(sub.lower), np.abs(sub.upper)).astype(float)
    sub.tolerance = 1e-9 * float(np.abs(sub.score).astype(float) @ span) + 1e-6
    sub.delta = 4 * sub.tolerance if sub.reduced is not None else math.inf
    return sub


@dataclass
class Groups:
    """Variables and rows sorted by component: members of c are ``var_order[var_start[c]:var_start[c+1]]``."""

    var_order: np.ndarray
    var_start: np.ndarray
    row_order: np.ndarray
    row_start: np.ndarray
    local: np.ndarray           # a variable's position within its component

    @classmethod
    def of(cls, p: LevelProblem) -> Groups:
        n_comp = int(p.labels.max()) + 1
        active = np.flatnonzero(p.labels >= 0)
        var_order = active[np.argsort(p.labels[active], kind="stable")]
        var_start = np.searchsorted(p.labels[var_order], np.arange(n_comp + 1))
        live_rows = np.flatnonzero(p.row_comp >= 0)
        row_order = live_rows[np.argsort(p.row_comp[live_rows], kind="stable")]
        row_start = np.searchsorted(p.row_comp[row_order], np.arange(n_comp + 1))
        local = np.full(p.rows.n_vars, -1, np.int64)
        local[var_order] = np.arange(len(var_order)) - var_start[p.labels[var_order]]
        return cls(var_order, var_start, row_order, row_start, local)


def _lagrangian(sub: Component, y: np.ndarray | None) -> tuple[float, np.ndarray | None]:
    """The bound ``max score·x ≤ Σ_r y_r b_r + Σ_j max(d_j l_j, d_j u_j)`` and the reduced costs d.

    Valid for ANY row multipliers y of the right sign (y_r > 0 only where the row has an upper
    bound b_r, y_r < 0 only where it has a lower one), so an inexact LP can weaken the bound but
    never make it wrong. Both sign conventions of the LP's duals are tried; the tighter wins.
    """
    if y is None or not np.all(np.isfinite(y)):
        return math.inf, None
    lo = np.where(sub.lo == INT_MIN, -np.inf, sub.lo.astype(float))
    hi = np.where(sub.hi == INT_MAX, np.inf, sub.hi.astype(float))
    best: tuple[float, np.ndarray | None] = (math.inf, None)
    for sign in (1.0, -1.0):
        w = sign * y
        w = np.where((w > 0) & ~np.isfinite(hi), 0.0, w)
        w = np.where((w < 0) & ~np.isfinite(lo), 0.0, w)
        d = sub.score.astype(float) - np.bincount(sub.e_var, weights=w[sub.e_row] * sub.e_coef,
                                                  minlength=len(sub.score))
        rows_part = float(np.where(w > 0, w * np.where(np.isfinite(hi), hi, 0.0), 0.0).sum()
                          + np.where(w < 0, w * np.where(np.isfinite(lo), lo, 0.0), 0.0).sum())
        total = rows_part + float(np.maximum(d * sub.lower, d * sub.upper).sum())
        if total < best[0]:
            best = (total, d)
    return best


# --------------------------------------------------------------------------- helpers
def _row_const(rows: LinearRows, base: np.ndarray) -> np.ndarray:
    terms = rows.coef * base[rows.var]
    cums = np.concatenate([[0], np.cumsum(terms)])
    return cums[rows.start[1:]] - cums[rows.start[:-1]]


def _row_sums_bool(mask: np.ndarray, start: np.ndarray) -> np.ndarray:
    cums = np.concatenate([[0], np.cumsum(mask.astype(np.int64))])
    return (cums[start[1:]] - cums[start[:-1]]) > 0

