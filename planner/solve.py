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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from .components import (
    INT_MAX,
    INT_MIN,
    LinearRows,
    Unsupported,
    component_labels,
    linear_terms,
    read_rows,
)
from .errors import InfeasibleError, NoSolutionError, PlannerError
from .model import Model

log = logging.getLogger(__name__)

# CP-SAT parameters of every core solve, chosen by measurement on this project's instances
# (benchmarks/README.md): one worker with the richer LP relaxation (linearization level 2) and
# pseudo-cost branching proves the knapsack-like cores fastest — CP-SAT's default single worker
# did not prove the funded Jilin round in 60 s, its 2-worker portfolio was slower still;
# parallelism comes from solving independent components side by side instead.
PARAMETERS = {"num_workers": 1, "linearization_level": 2, "search_branching": cp_model.PSEUDO_COST_SEARCH,
              "use_objective_lb_search": True}
# Reduced-cost fixing: the first core keeps only candidates whose reduced cost is (almost) zero;
# each widening multiplies the threshold by GROWTH, starting from the mean objective coefficient
# divided by FIRST_STEP, unless the incumbent found so far already proves a smaller one enough.
GROWTH = 4.0
FIRST_STEP = 64.0
SAFE_BITS = 62              # |K × score| + ties must stay inside int64 for one-solve tie-breaks
BUNDLE_MAX = 400            # cores with fewer free variables share one CP-SAT solve
LP_TIME_S = 30.0
LP_BATCH = 2000            # variables per LP solved at once (whole components)


@dataclass
class Solution:
    """What the solver decided, aligned with the rows of `model.frame`.

    ``objective`` and ``best_bound`` are in score points (total score minus penalties);
    ``gap`` is relative, 0 when the optimum is proven.
    """

    status: str
    selected: np.ndarray
    national: np.ndarray
    objective: float
    best_bound: float
    gap: float
    solve_s: float
    phases: list[dict] = field(default_factory=list)
    slack: dict[str, float] = field(default_factory=dict)


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
    guess = _hint_values(model, rows, hint) if hint is not None else None
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
        selected, national = _read_values(model, values)
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


@dataclass
class LevelResult:
    """One level solved: values of every proto variable, status, score (model integers), bound."""

    status: str
    values: np.ndarray | None
    score: int
    bound: float
    labels: np.ndarray
    stats: dict


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

    problem = _Problem(rows=rows, lo=lo, hi=hi, lower=lower, upper=upper, score=score, ties=ties, labels=labels,
                       row_comp=row_comp, live=live, guess=guess, seed=seed, deadline=deadline,
                       log_progress=log_progress)
    duals = _lp_duals(problem, todo, threads)
    outcomes, rounds = _solve_components(problem, todo, duals, threads)
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


# --------------------------------------------------------------------------- components
@dataclass
class _Problem:
    """A level after its decided variables are substituted out, split into components."""

    rows: LinearRows
    lo: np.ndarray
    hi: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    score: np.ndarray
    ties: np.ndarray
    labels: np.ndarray
    row_comp: np.ndarray
    live: np.ndarray
    guess: np.ndarray | None
    seed: int
    deadline: float
    log_progress: bool


@dataclass
class _Sub:
    """One component in local indices: bounds, rows (COO), objective, ties, and the fixing state."""

    members: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    score: np.ndarray
    ties: np.ndarray
    e_row: np.ndarray
    e_var: np.ndarray
    e_coef: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    hint: np.ndarray | None
    bound: float = math.inf             # Lagrangian bound on the component's score
    reduced: np.ndarray | None = None   # reduced costs of that bound
    delta: float = math.inf             # current fixing threshold
    tolerance: float = 1e-6
    step: float = 1.0
    solves: int = 0
    core: int = 0


@dataclass
class _Outcome:
    status: str
    members: np.ndarray
    values: np.ndarray | None
    bound: float            # on the component's score
    core: int = 0
    solves: int = 0


def _component(p: _Problem, c: int, duals: np.ndarray | None, groups: _Groups) -> _Sub:
    """Component `c` in local indices, with its Lagrangian bound and first fixing threshold."""
    members = groups.var_order[groups.var_start[c]:groups.var_start[c + 1]]
    rows_c = groups.row_order[groups.row_start[c]:groups.row_start[c + 1]]
    starts, stops = p.rows.start[rows_c], p.rows.start[rows_c + 1]
    lens = stops - starts
    take = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(int(lens.sum()))
    keep = p.live[take]
    sub = _Sub(members=members, lower=p.lower[members], upper=p.upper[members], score=p.score[members],
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
class _Groups:
    """Variables and rows sorted by component: members of c are ``var_order[var_start[c]:var_start[c+1]]``."""

    var_order: np.ndarray
    var_start: np.ndarray
    row_order: np.ndarray
    row_start: np.ndarray
    local: np.ndarray           # a variable's position within its component

    @classmethod
    def of(cls, p: _Problem) -> _Groups:
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


def _solve_components(p: _Problem, todo: list[int], duals: np.ndarray | None,
                      threads: int) -> tuple[dict[int, _Outcome], int]:
    """Solve every component exactly, in rounds: restrict, solve the cores, widen where needed.

    In each round every open component is restricted by its threshold (reduced-cost fixing);
    cores with nothing left free are evaluated directly, small ones are solved together in one
    CP-SAT model (their objectives simply add up), large ones alone, side by side in threads.
    """
    groups = _Groups.of(p)
    subs = {c: _component(p, c, duals, groups) for c in todo}
    done: dict[int, _Outcome] = {}
    rounds = 0
    while len(done) < len(subs):
        rounds += 1
        open_ = [c for c in todo if c not in done]
        if time.perf_counter() >= p.deadline:
            for c in open_:
                done[c] = _Outcome("UNKNOWN", subs[c].members, None, math.nan, subs[c].core, subs[c].solves)
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
                results = list(pool.map(lambda part: _solve_job(p, part), parts))
        else:
            results = [_solve_job(p, part) for part in parts]
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


def _settle(sub: _Sub, core: tuple[np.ndarray, np.ndarray], status: str, values: np.ndarray | None) -> _Outcome | None:
    """The component's outcome after a core solve, or None (and a wider threshold) to solve again."""
    restricted = bool(np.any((core[0] != sub.lower) | (core[1] != sub.upper)))
    if status == "INFEASIBLE":
        if not restricted:
            return _Outcome("INFEASIBLE", sub.members, None, math.nan, sub.core, sub.solves)
        sub.delta = max(sub.delta * GROWTH, sub.step)
        if sub.delta > abs(sub.bound) + sub.step * FIRST_STEP * len(sub.members):
            sub.delta = math.inf
        return None
    if values is None:
        return _Outcome("UNKNOWN", sub.members, None, math.nan, sub.core, sub.solves)
    z = int(sub.score @ values)
    # Every slate worth more than bound − delta keeps the fixings: if the core's optimum is such a
    # slate, every optimal slate (and the tie-break's choice among them) lies in the core.
    if status == "OPTIMAL" and (not restricted or z > sub.bound - sub.delta + sub.tolerance):
        return _Outcome("OPTIMAL", sub.members, values, float(z), sub.core, sub.solves)
    if status != "OPTIMAL":            # out of time: the best slate and a valid bound
        return _Outcome("FEASIBLE", sub.members, values, max(sub.bound, float(z)), sub.core, sub.solves)
    sub.hint = values
    # The threshold that makes the next core certainly enough; a geometric step short of it
    # only if that is much smaller (a core grows fast with the threshold, and so does its proof).
    needed = sub.bound - z + 2 * sub.tolerance
    step = max(sub.delta * GROWTH, sub.step)
    sub.delta = needed if step * GROWTH / 2 >= needed else step
    return None


def _lagrangian(sub: _Sub, y: np.ndarray | None) -> tuple[float, np.ndarray | None]:
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


def _restrict(sub: _Sub) -> tuple[np.ndarray, np.ndarray]:
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


def _solve_job(p: _Problem, parts: list[tuple[int, _Sub, tuple[np.ndarray, np.ndarray]]]
               ) -> dict[int, tuple[str, np.ndarray | None]]:
    """Solve the cores of some components in one CP-SAT model (one by one if that fails)."""
    out: dict[int, tuple[str, np.ndarray | None]] = {}
    pending = []
    for c, sub, (lower, upper) in parts:
        sub.solves += 1
        core = _core(sub, lower, upper)
        if core is None:
            out[c] = ("INFEASIBLE", None)
        elif not len(core.free):
            out[c] = ("OPTIMAL", core.values)
        else:
            pending.append((c, sub, core))
    if not pending:
        return out
    magnitude = sum(core.magnitude for _, _, core in pending)
    if len(pending) == 1 or magnitude < 2.0 ** SAFE_BITS:
        status, found = _run_cores(p, [core for _, _, core in pending])
        if status != "INFEASIBLE" or len(pending) == 1:
            for c, _, core in pending:
                out[c] = (status, None if found is None else core.place(found[core.slot]))
            return out
    for c, _, core in pending:          # one infeasible core in the bundle, or too large a sum
        status, found = _run_cores(p, [core])
        out[c] = (status, None if found is None else core.place(found[core.slot]))
    return out


@dataclass
class _Core:
    """A restricted component ready for CP-SAT: its free variables and the rows over them."""

    values: np.ndarray          # every component variable (fixed ones at their value)
    free: np.ndarray            # local indices of the free variables
    lower: np.ndarray
    upper: np.ndarray
    score: np.ndarray           # over the free variables
    ties: np.ndarray
    rows: list[tuple[list[int], list[int], int, int]]
    hint: np.ndarray | None
    magnitude: float
    slot: slice = field(default_factory=lambda: slice(0, 0))

    def place(self, found: np.ndarray) -> np.ndarray:
        values = self.values.copy()
        values[self.free] = found
        return values


def _core(sub: _Sub, lower: np.ndarray, upper: np.ndarray) -> _Core | None:
    """The component restricted to [lower, upper]; None when a row can no longer hold."""
    free = lower < upper
    values = lower.copy()
    const = np.bincount(sub.e_row, weights=(sub.e_coef * np.where(free, 0, lower)[sub.e_var]).astype(float),
                        minlength=len(sub.lo)).astype(np.int64)
    lo = np.where(sub.lo == INT_MIN, INT_MIN, sub.lo - const)
    hi = np.where(sub.hi == INT_MAX, INT_MAX, sub.hi - const)
    keep = free[sub.e_var]
    in_row = np.bincount(sub.e_row[keep], minlength=len(sub.lo)) > 0
    if np.any(~in_row & ((lo > 0) | (hi < 0))):
        return None
    idx = np.flatnonzero(free)
    position = np.full(len(lower), -1, np.int64)
    position[idx] = np.arange(len(idx))
    e_row, e_var, e_coef = sub.e_row[keep], position[sub.e_var[keep]], sub.e_coef[keep]
    order = np.argsort(e_row, kind="stable")
    e_row, e_var, e_coef = e_row[order], e_var[order], e_coef[order]
    cuts = np.searchsorted(e_row, np.arange(len(sub.lo) + 1))
    var_list, coef_list = e_var.tolist(), e_coef.tolist()
    rows = [(var_list[cuts[r]:cuts[r + 1]], coef_list[cuts[r]:cuts[r + 1]], int(lo[r]), int(hi[r]))
            for r in np.flatnonzero(in_row).tolist()]
    score, ties = sub.score[idx], sub.ties[idx]
    k = float(ties.sum()) + 1.0
    span = np.maximum(np.abs(lower[idx]), np.abs(upper[idx])).astype(float)
    magnitude = (float(np.abs(score).astype(float) @ span) + 1.0) * k
    hint = None if sub.hint is None else np.clip(sub.hint[idx], lower[idx], upper[idx])
    return _Core(values=values, free=idx, lower=lower[idx], upper=upper[idx], score=score, ties=ties, rows=rows,
                 hint=hint, magnitude=magnitude)


def _run_cores(p: _Problem, cores: list[_Core]) -> tuple[str, np.ndarray | None]:
    """One CP-SAT solve of independent cores: each maximises K·score + ties (K > its Σ ties).

    The objectives add up and no row links two cores, so the sum's optimum is every core's own
    lexicographic optimum. A core whose K·score would not fit in int64 is solved in two steps
    (score, then ties with the score kept) instead.
    """
    offset = 0
    var_parts, row_parts, obj_vars, obj_coefs, hint_vars, hint_values = [], [], [], [], [], []
    two_step = len(cores) == 1 and cores[0].magnitude >= 2.0 ** SAFE_BITS
    for core in cores:
        n = len(core.free)
        core.slot = slice(offset, offset + n)
        var_parts.extend(f"variables {{ domain: [{a}, {b}] }}\n" for a, b in zip(core.lower.tolist(), core.upper.tolist()))
        for variables, coefs, lo, hi in core.rows:
            row_parts.append(f"constraints {{ linear {{ vars: {[v + offset for v in variables]} coeffs: {coefs} "
                             f"domain: [{lo}, {hi}] }} }}\n")
        k = int(core.ties.sum()) + 1
        objective = core.score if two_step else core.score * k + core.ties
        nz = np.flatnonzero(objective)
        obj_vars.extend((nz + offset).tolist())
        obj_coefs.extend((-objective[nz]).tolist())          # CP-SAT minimises
        if core.hint is not None:
            hint_vars.extend(range(offset, offset + n))
            hint_values.extend(core.hint.tolist())
        offset += n
    text = "".join(var_parts) + "".join(row_parts)
    status, found, _ = _cp_sat(p, text, obj_vars, obj_coefs, hint_vars, hint_values)
    if not two_step or found is None or status != "OPTIMAL":
        return status, found
    core = cores[0]
    best = int(core.score @ found)
    keep = f"constraints {{ linear {{ vars: {list(range(len(core.free)))} coeffs: {core.score.tolist()} " \
           f"domain: [{best}, {best}] }} }}\n"
    nz = np.flatnonzero(core.ties)
    status2, found2, _ = _cp_sat(p, text + keep, nz.tolist(), (-core.ties[nz]).tolist(),
                                 list(range(len(core.free))), found.tolist())
    if found2 is None:
        return "FEASIBLE", found
    return status2, found2


def _cp_sat(p: _Problem, text: str, obj_vars: list[int], obj_coefs: list[int], hint_vars: list[int],
            hint_values: list[int]) -> tuple[str, np.ndarray | None, float]:
    """Minimise Σ obj_coefs·x over the model in text format; (status, solution, bound)."""
    from ortools.sat.python import cp_model_helper as cmh

    if obj_vars:
        text += f"objective {{ vars: {obj_vars} coeffs: {obj_coefs} }}\n"
    if hint_vars:
        text += f"solution_hint {{ vars: {hint_vars} values: {hint_values} }}\n"
    proto = cmh.CpModelProto()
    if not proto.parse_text_format(text):
        raise PlannerError("a core model could not be written for CP-SAT (a bug — please report it)")
    parameters = cmh.SatParameters()
    for key, value in PARAMETERS.items():
        setattr(parameters, key, value)
    parameters.max_time_in_seconds = max(0.01, p.deadline - time.perf_counter())
    parameters.random_seed = int(p.seed)
    parameters.log_search_progress = p.log_progress
    wrapper = cmh.SolveWrapper()
    wrapper.set_parameters(parameters)
    response = wrapper.solve(proto)
    status = response.status
    if status == cp_model.MODEL_INVALID:
        raise PlannerError("CP-SAT says a core model is invalid (a bug — please report it)")
    if status == cp_model.INFEASIBLE:
        return "INFEASIBLE", None, math.nan
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "UNKNOWN", None, math.nan
    name = "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE"
    return name, np.array(response.solution, dtype=np.int64), -float(response.best_objective_bound)


# --------------------------------------------------------------------------- the LP
def _lp_duals(p: _Problem, todo: list[int], threads: int = 1) -> np.ndarray | None:
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


def _lp_batch(p: _Problem, batch: list[int], duals: np.ndarray) -> None:
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
    var_list, coef_list = e_var.tolist(), e_coef.tolist()
    lo_f = np.where(p.lo[row_ids] == INT_MIN, -np.inf, p.lo[row_ids].astype(float)).tolist()
    hi_f = np.where(p.hi[row_ids] == INT_MAX, np.inf, p.hi[row_ids].astype(float)).tolist()
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
    solver.set_time_limit_in_seconds(max(0.01, min(LP_TIME_S, p.deadline - time.perf_counter())))
    solver.solve(builder)
    if solver.status() != mbh.SolveStatus.OPTIMAL:
        log.info("LP relaxation of %d components: %s (no reduced-cost fixing there)", len(batch), solver.status())
        return
    duals[row_ids] = solver.dual_values()


# --------------------------------------------------------------------------- helpers
def _row_const(rows: LinearRows, base: np.ndarray) -> np.ndarray:
    terms = rows.coef * base[rows.var]
    cums = np.concatenate([[0], np.cumsum(terms)])
    return cums[rows.start[1:]] - cums[rows.start[:-1]]


def _row_sums_bool(mask: np.ndarray, start: np.ndarray) -> np.ndarray:
    cums = np.concatenate([[0], np.cumsum(mask.astype(np.int64))])
    return (cums[start[1:]] - cums[start[:-1]]) > 0


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


def _hint_values(model: Model, rows: LinearRows, hint: np.ndarray) -> np.ndarray:
    """A selection over the frame's rows as values of the proto variables."""
    values = rows.lower.copy()
    free = np.flatnonzero(model.free)
    hint = np.asarray(hint, bool)
    if len(free):
        index = np.array([v.index for v in model.select[free]], dtype=np.int64)
        values[index] = np.clip(hint[free].astype(np.int64), rows.lower[index], rows.upper[index])
    return values


def _read_values(model: Model, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Selected / national per row from proto values (locked rows keep their recorded decision)."""
    selected = model.locked.copy()
    national = model.locked_national.copy()
    free = np.flatnonzero(model.free)
    if len(free):
        selected[free] = values[[v.index for v in model.select[free]]] > 0
    nat = np.flatnonzero(model.may_national)
    if len(nat):
        national[nat] = values[[v.index for v in model.national[nat]]] > 0
    return selected, national


BACKENDS = ("cpsat", "highs")


def solve_with(backend: str, model: Model, **options) -> Solution:
    """Solve with the chosen backend: ``"cpsat"`` (the default, `solve_model`) or ``"highs"``
    (`highs_backend.solve_model_highs`, the same model solved by HiGHS, audited the same way).

    Parameters
    ----------
    backend : str
        One of `BACKENDS`.
    **options
        time_limit_s, seed, workers, hint, log_progress — as `solve_model`.
    """
    if backend == "cpsat":
        return solve_model(model, **options)
    if backend == "highs":
        from .highs_backend import solve_model_highs
        return solve_model_highs(model, **options)
    raise PlannerError(f'unknown backend "{backend}": expected one of {", ".join(BACKENDS)}')


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
            log.warning("time limit reached before phase %s", level.name)
            break
        # Lexicographic in one solve: K exceeds every sum of priorities, so a priority can
        # only decide between slates of equal objective — never trade score for priority.
        k = sum(level.ties) + 1
        ties = cp_model.LinearExpr.weighted_sum(level.variables, level.ties) if level.ties else 0
        cp.maximize(level.expr * k + ties if level.ties else level.expr)
        solver = _solver(remaining, seed, workers, log_progress)
        for key, value in (parameters or {}).items():
            setattr(solver.parameters, key, value)
        status = solver.solve(cp)
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
        selected, national = _read_values(model, np.asarray(solver.response_proto.solution, dtype=np.int64))
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
