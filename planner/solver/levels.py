"""One objective level, solved exactly over linear rows: components, LP bound, reduced-cost fixing.

Owns `solve_level`: the decided variables are substituted out, the rest falls apart into
independent components (`model.components`); each gets a Lagrangian bound from the LP
relaxation (`solver.lp`) and its reduced costs fix every variable that cannot change in any
optimal slate, so CP-SAT (`solver.cores`) only searches the small core near the thresholds —
exactly: if the core's optimum does not prove the fixing safe, the core is widened and solved
again. Does not own the order of levels (`solver.cpsat`).
"""
from __future__ import annotations

import concurrent.futures
import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from planner.model import INT_MAX, INT_MIN, LinearRows, component_labels
from planner.solver._base import Component, LevelProblem, LevelResult, Outcome
from planner.solver.cores import solve_job
from planner.solver.lp import lp_duals

log = logging.getLogger(__name__)


# Reduced-cost fixing: the first core keeps only candidates whose reduced cost is (almost) zero;
# each widening multiplies the threshold by GROWTH, starting from the mean objective coefficient
# divided by FIRST_STEP, unless the incumbent found so far already proves a smaller one enough.
GROWTH = 4.0


FIRST_STEP = 64.0


BUNDLE_MAX = 400            # cores with fewer free variables share one CP-SAT solve


def solve_level(rows: LinearRows, lower: np.ndarray, upper: np.ndarray, score: np.ndarray, ties: np.ndarray, *,
                deadline: float, seed: int = 0, threads: int = 1, guess: np.ndarray | None = None,
                log_progress: bool = False) -> LevelResult:
    """Maximise ``score·x``, then ``ties·x`` among the maximisers, exactly, over ``rows``.

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
        Values to hint CP-SAT with.
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
                       log_progress=log_progress)
    duals = lp_duals(problem, todo, threads)
    outcomes, rounds = solve_components(problem, todo, duals, threads)
    stats.update(core_variables=int(sum(o.core for o in outcomes.values())),
                 cp_sat_solves=int(sum(o.solves for o in outcomes.values())), rounds=rounds)
    statuses = {o.status for o in outcomes.values()}
    if "INFEASIBLE" in statuses:
        return LevelResult("INFEASIBLE", None, 0, math.nan, labels, stats)
    if "UNKNOWN" in statuses:
        return LevelResult("UNKNOWN", None, 0, math.nan, labels, stats)
    top = float(score[~active] @ values[~active]) + float(score[lone] @ values[lone])
    for outcome in outcomes.values():
        values[outcome.members] = outcome.values
        top += outcome.bound
    total = int(score @ values)
    status = "OPTIMAL" if statuses == {"OPTIMAL"} else "FEASIBLE"
    return LevelResult(status, values, total, max(top, float(total)), labels, stats)


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


def solve_components(p: LevelProblem, todo: list[int], duals: np.ndarray | None,
                      threads: int) -> tuple[dict[int, Outcome], int]:
    """Solve every component exactly, in rounds: restrict, solve the cores, widen where needed.

    In each round every open component is restricted by its threshold (reduced-cost fixing);
    cores with nothing left free are evaluated directly, small ones are solved together in one
    CP-SAT model (their objectives simply add up), large ones alone, side by side in threads.
    """
    groups = Groups.of(p)
    subs = {c: component_of(p, c, duals, groups) for c in todo}
    done: dict[int, Outcome] = {}
    rounds = 0
    while len(done) < len(subs):
        rounds += 1
        open_ = [c for c in todo if c not in done]
        if time.perf_counter() >= p.deadline:
            for c in open_:
                done[c] = Outcome("UNKNOWN", subs[c].members, None, math.nan, subs[c].core, subs[c].solves)
            break
        cores = {c: _restrict(subs[c]) for c in open_}
        jobs: list[list[int]] = []
        bundle: list[int] = []
        size = 0
        for c in open_:
            free = int((cores[c][0] < cores[c][1]).sum())
            subs[c].core = max(subs[c].core, free)
            if free >= BUNDLE_MAX:
                jobs.append([c])
                continue
            if size + free > BUNDLE_MAX and bundle:
                jobs.append(bundle)
                bundle, size = [], 0
            bundle.append(c)
            size += free
        if bundle:
            jobs.append(bundle)
        tick = time.perf_counter()
        parts = [[(c, subs[c], cores[c]) for c in job] for job in jobs]
        if threads > 1 and len(jobs) > 1:
            with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
                results = list(pool.map(lambda part: solve_job(p, part), parts))
        else:
            results = [solve_job(p, part) for part in parts]
        log.debug("round %d: %d components in %d CP-SAT jobs, %.3f s", rounds, len(open_), len(jobs),
                  time.perf_counter() - tick)
        for job, result in zip(jobs, results):
            for c in job:
                status, values = result[c]
                delta = subs[c].delta
                outcome = _settle(subs[c], cores[c], status, values)
                if log.isEnabledFor(logging.DEBUG) and (len(job) == 1 or outcome is None):
                    log.debug("round %d component %d: %d of %d variables free at delta %.4g, %s, score %s, "
                              "bound %.6g%s", rounds, c, int((cores[c][0] < cores[c][1]).sum()),
                              len(subs[c].members), delta, status,
                              None if values is None else int(subs[c].score @ values), subs[c].bound,
                              "" if outcome is None else " — settled")
                if outcome is not None:
                    done[c] = outcome
    return done, rounds


def _settle(sub: Component, core: tuple[np.ndarray, np.ndarray], status: str, values: np.ndarray | None) -> Outcome | None:
    """The component's outcome after a core solve, or None (and a wider threshold) to solve again."""
    restricted = bool(np.any((core[0] != sub.lower) | (core[1] != sub.upper)))
    if status == "INFEASIBLE":
        if not restricted:
            return Outcome("INFEASIBLE", sub.members, None, math.nan, sub.core, sub.solves)
        sub.delta = max(sub.delta * GROWTH, sub.step)
        if sub.delta > abs(sub.bound) + sub.step * FIRST_STEP * len(sub.members):
            sub.delta = math.inf
        return None
    if values is None:
        return Outcome("UNKNOWN", sub.members, None, math.nan, sub.core, sub.solves)
    z = int(sub.score @ values)
    # Every slate worth more than bound − delta keeps the fixings: if the core's optimum is such a
    # slate, every optimal slate (and the tie-break's choice among them) lies in the core.
    if status == "OPTIMAL" and (not restricted or z > sub.bound - sub.delta + sub.tolerance):
        return Outcome("OPTIMAL", sub.members, values, float(z), sub.core, sub.solves)
    if status != "OPTIMAL":            # out of time: the best slate and a valid bound
        return Outcome("FEASIBLE", sub.members, values, max(sub.bound, float(z)), sub.core, sub.solves)
    sub.hint = values
    # The threshold that makes the next core certainly enough; a geometric step short of it
    # only if that is much smaller (a core grows fast with the threshold, and so does its proof).
    needed = sub.bound - z + 2 * sub.tolerance
    step = max(sub.delta * GROWTH, sub.step)
    sub.delta = needed if step * GROWTH / 2 >= needed else step
    return None


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


def _restrict(sub: Component) -> tuple[np.ndarray, np.ndarray]:
    """Bounds that keep every solution within `sub.delta` of the Lagrangian bound.

    Moving x_j t units away from the bound its reduced cost d_j prefers lowers the bound by
    |d_j|·t, so x_j keeps only the t < delta / |d_j| nearest values.
    """
    lower, upper = sub.lower.copy(), sub.upper.copy()
    if sub.reduced is None or not math.isfinite(sub.delta):
        return lower, upper
    size = np.abs(sub.reduced)
    with np.errstate(divide="ignore", invalid="ignore"):
        moves = np.where(size > 0, np.ceil(sub.delta / np.where(size > 0, size, 1.0)) - 1, np.inf)
    moves = np.minimum(np.maximum(moves, 0), (upper - lower).astype(float)).astype(np.int64)
    up, down = sub.reduced > 0, sub.reduced < 0
    lower[up] = sub.upper[up] - moves[up]
    upper[down] = sub.lower[down] + moves[down]
    return lower, upper


# --------------------------------------------------------------------------- helpers
def _row_const(rows: LinearRows, base: np.ndarray) -> np.ndarray:
    terms = rows.coef * base[rows.var]
    cums = np.concatenate([[0], np.cumsum(terms)])
    return cums[rows.start[1:]] - cums[rows.start[:-1]]


def _row_sums_bool(mask: np.ndarray, start: np.ndarray) -> np.ndarray:
    cums = np.concatenate([[0], np.cumsum(mask.astype(np.int64))])
    return (cums[start[1:]] - cums[start[:-1]]) > 0

