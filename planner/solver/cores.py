"""CP-SAT on the cores of components: the only place the fast path calls the CP-SAT engine.

Owns the parameters of every core solve (chosen by measurement, `PARAMETERS`), reduced-cost
fixing (`restrict`: a component's core at a threshold; `settle`: what a core's solve proves
about its component, and the next threshold; `first_threshold`/`remember_gap`: where a
component solved again starts), a core's small independent parts decided by enumeration
(`settle_small_parts`), writing a core as a CP-SAT model, solving tiny cores together
(`solve_job`), the exact lexicographic tie-break in one solve, and stopping a running solve
from another thread (`Stop`). Does not own which core is solved when, nor for
how long (`solver.schedule`).
"""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from planner.errors import PlannerError
from planner.model import INT_MAX, INT_MIN, LinearRows, component_labels
from planner.solver._base import Component, LevelProblem, Outcome

log = logging.getLogger(__name__)

# CP-SAT parameters of every core solve, chosen by measurement on this project's instances
# (benchmarks/README.md): one worker with the richer LP relaxation (linearization level 2) and
# pseudo-cost branching proves the knapsack-like cores fastest — CP-SAT's default single worker
# did not prove the funded Jilin round in 60 s, its 2-worker portfolio was slower still;
# parallelism comes from solving independent components side by side instead.
PARAMETERS = {"num_workers": 1, "linearization_level": 2, "search_branching": cp_model.PSEUDO_COST_SEARCH,
              "use_objective_lb_search": True}


SAFE_BITS = 62              # |K × score| + ties must stay inside int64 for one-solve tie-breaks


# Reduced-cost fixing: the first core keeps only candidates whose reduced cost is (almost) zero;
# each widening multiplies the threshold by GROWTH, starting from the mean objective coefficient
# divided by FIRST_STEP, unless the incumbent found so far already proves a smaller one enough.
GROWTH = 4.0


FIRST_STEP = 64.0


class Stop:
    """The solves a task runs, so that another thread can stop them (a race won, Ctrl-C).

    CP-SAT's `SolveWrapper.stop_search` and HiGHS's `cancelSolve` are safe to call from any
    thread; a solve registered after `stop()` is not started at all.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: list = []
        self.stopped = False

    def register(self, solver) -> bool:
        """Remember a solver about to run; False when the task is already stopped."""
        with self._lock:
            if self.stopped:
                return False
            self._running.append(solver)
            return True

    def release(self, solver) -> None:
        with self._lock:
            if solver in self._running:
                self._running.remove(solver)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            running = list(self._running)
        for solver in running:
            if hasattr(solver, "stop_search"):
                solver.stop_search()
            else:
                solver.cancelSolve()


@dataclass
class CoreResult:
    """A core's solve: status on the core, values over the whole component, an upper bound on
    the score of the core's best slate (the component's score, fixed part included)."""

    status: str
    values: np.ndarray | None
    bound: float = math.inf
    engine: str = "cpsat"       # "lp" when the fixing left nothing to search


def solve_job(p: LevelProblem, parts: list[tuple[int, Component, tuple[np.ndarray, np.ndarray]]], *,
              limit_s: float, stop: Stop | None = None) -> dict[int, CoreResult]:
    """Solve the cores of some components, within `limit_s` seconds.

    One core: one CP-SAT model. Several (tiny ones, `solver.schedule`): one model whose
    objectives add up — each core's own optimum when the sum is proven, else each core's part
    of the best sum found (its bound then unknown); an infeasible core is found alone.
    """
    out: dict[int, CoreResult] = {}
    pending = []
    for c, sub, (lower, upper) in parts:
        sub.solves += 1
        if p.small_parts:
            narrowed = settle_small_parts(sub, lower, upper, p.small_parts)
            core = None if narrowed is None else make_core(sub, *narrowed)
        else:
            core = make_core(sub, lower, upper)
        if core is None:
            out[c] = CoreResult("INFEASIBLE", None, -math.inf)
        elif not len(core.free):
            out[c] = CoreResult("OPTIMAL", core.values, float(sub.score @ core.values), "lp")
        else:
            pending.append((c, sub, core))
    if not pending:
        return out
    deadline = min(p.deadline, time.perf_counter() + limit_s)
    magnitude = sum(core.magnitude for _, _, core in pending)
    if len(pending) == 1 or magnitude < 2.0 ** SAFE_BITS:
        status, found, bound = _run_cores(p, [core for _, _, core in pending], deadline, stop)
        if status != "INFEASIBLE" or len(pending) == 1:
            for c, sub, core in pending:
                values = None if found is None else core.place(found[core.slot])
                top = float(sub.score @ values) if status == "OPTIMAL" and values is not None else \
                    bound if len(pending) == 1 else math.inf
                out[c] = CoreResult(status, values, top if status != "INFEASIBLE" else -math.inf)
            return out
    for c, sub, core in pending:          # one infeasible core in the bundle, or too large a sum
        status, found, bound = _run_cores(p, [core], deadline, stop)
        values = None if found is None else core.place(found[core.slot])
        top = float(sub.score @ values) if status == "OPTIMAL" and values is not None else bound
        out[c] = CoreResult(status, values, top if status != "INFEASIBLE" else -math.inf)
    return out


# --------------------------------------------------------------------------- reduced-cost fixing
def restrict(sub: Component, delta: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Bounds that keep every solution within `delta` (default `sub.delta`) of the Lagrangian bound.

    Moving x_j t units away from the bound its reduced cost d_j prefers lowers the bound by
    |d_j|·t, so x_j keeps only the t < delta / |d_j| nearest values.
    """
    delta = sub.delta if delta is None else delta
    lower, upper = sub.lower.copy(), sub.upper.copy()
    if sub.reduced is None or not math.isfinite(delta):
        return lower, upper
    size = np.abs(sub.reduced)
    with np.errstate(divide="ignore", invalid="ignore"):
        moves = np.where(size > 0, np.ceil(delta / np.where(size > 0, size, 1.0)) - 1, np.inf)
    moves = np.minimum(np.maximum(moves, 0), (upper - lower).astype(float)).astype(np.int64)
    up, down = sub.reduced > 0, sub.reduced < 0
    lower[up] = sub.upper[up] - moves[up]
    upper[down] = sub.lower[down] + moves[down]
    return lower, upper


def offer(sub: Component, values: np.ndarray) -> None:
    """Keep `values` (feasible for the whole component) if they beat the best slate so far."""
    z = float(sub.score @ values)
    if sub.best is None or z > sub.best_score or (z == sub.best_score and sub.ties @ values > sub.ties @ sub.best):
        sub.best, sub.best_score = values.copy(), z
    sub.proof = max(sub.proof, sub.best_score)


def tighten(sub: Component, bound: float) -> None:
    """A new upper bound on the component's optimum (never below the best slate found)."""
    if math.isfinite(bound):
        sub.proof = max(min(sub.proof, math.floor(bound + 1e-6)), sub.best_score)


def settle(sub: Component, core: tuple[np.ndarray, np.ndarray], result: CoreResult) -> Outcome | None:
    """What a core's solve proves: the component's outcome (OPTIMAL, INFEASIBLE), or None to go on.

    Every slate CP-SAT finds in a core is one of the component (a core only narrows bounds), so
    it is offered as the component's incumbent. Every slate outside the core scores at most
    L − delta (L the Lagrangian bound), so the component's optimum is at most the larger of
    that and the core's own bound. A core proven optimal above L − delta holds every optimal
    slate, and the tie-break's choice among them; one proven below it widens the threshold.
    """
    restricted = bool(np.any((core[0] != sub.lower) | (core[1] != sub.upper)))
    outside = sub.bound - sub.delta + sub.tolerance if restricted else -math.inf
    if result.status == "INFEASIBLE":
        if not restricted:
            return Outcome("INFEASIBLE", sub.members, None, math.nan, sub.core, sub.solves)
        tighten(sub, outside)
        sub.delta = max(sub.delta * GROWTH, sub.step)
        if sub.delta > abs(sub.bound) + sub.step * FIRST_STEP * len(sub.members):
            sub.delta = math.inf
        return None
    if result.values is not None:
        offer(sub, result.values)
    if sub.best is not None:
        sub.hint = sub.best                # the next solve starts from the best slate so far
    tighten(sub, max(result.bound, outside))
    if result.values is None or result.status != "OPTIMAL":
        return None                    # out of its time: the caller gives it more
    z = float(sub.score @ result.values)
    # Every slate worth more than bound − delta keeps the fixings: if the core's optimum is such a
    # slate, every optimal slate (and the tie-break's choice among them) lies in the core.
    if not restricted or z > outside:
        sub.best, sub.best_score, sub.proof, sub.engine = result.values, z, z, result.engine
        return Outcome("OPTIMAL", sub.members, result.values, z, sub.core, sub.solves, result.engine)
    sub.hint = result.values
    # The threshold that makes the next core certainly enough; a geometric step short of it
    # only if that is much smaller (a core grows fast with the threshold, and so does its proof).
    needed = sub.bound - z + 2 * sub.tolerance
    step = max(sub.delta * GROWTH, sub.step)
    sub.delta = needed if step * GROWTH / 2 >= needed else step
    return None


def first_threshold(sub: Component, gaps: dict[int, float]) -> None:
    """Raise `sub`'s first fixing threshold to what its component needed the last time (`gaps`).

    A component whose optimum lies well below its Lagrangian bound needs its core widened,
    perhaps several times, each a CP-SAT solve; when a level is solved again and again with
    other scores (`analysis.resolver`), its components' gaps change little. `gaps` holds, per
    component's first variable, the threshold its last gap asks for, with room (`GAP_ROOM`).
    Any threshold gives the same optimum (`settle` widens until the core is proven to hold
    it), only sooner or later.
    """
    if sub.reduced is not None and len(sub.members):
        sub.delta = max(sub.delta, gaps.get(int(sub.members[0]), 0.0))


def remember_gap(sub: Component, outcome: Outcome, gaps: dict[int, float]) -> None:
    """Keep in `gaps` what `sub` needed: the gap between its Lagrangian bound and its optimum."""
    if sub.reduced is None or not len(sub.members) or outcome.status != "OPTIMAL" or not math.isfinite(sub.bound):
        return
    gap = sub.bound - outcome.bound
    if gap > 4 * sub.tolerance:
        gaps[int(sub.members[0])] = GAP_ROOM * gap + 2 * sub.tolerance
    else:
        gaps.pop(int(sub.members[0]), None)


GAP_ROOM = 1.5             # a first threshold this many times the last gap: the optimum is likely inside


def feasible(sub: Component, values: np.ndarray) -> bool:
    """Whether `values` (over the component's variables) keep every row and bound of it."""
    if np.any(values < sub.lower) or np.any(values > sub.upper):
        return False
    act = np.zeros(len(sub.lo), np.int64)
    np.add.at(act, sub.e_row, sub.e_coef * values[sub.e_var])
    return bool(np.all((act >= sub.lo) & (act <= sub.hi)))


# --------------------------------------------------------------------------- a core as CP-SAT
@dataclass
class Core:
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
    fixed_score: int = 0        # the score of the fixed variables
    tie_min: int = 0            # the least the ties of the free variables can add up to
    slot: slice = field(default_factory=lambda: slice(0, 0))

    def place(self, found: np.ndarray) -> np.ndarray:
        values = self.values.copy()
        values[self.free] = found
        return values


def make_core(sub: Component, lower: np.ndarray, upper: np.ndarray) -> Core | None:
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
    fixed_score = int(sub.score[~free] @ lower[~free])
    tie_min = int(np.minimum(ties * lower[idx], ties * upper[idx]).sum())
    return Core(values=values, free=idx, lower=lower[idx], upper=upper[idx], score=score, ties=ties, rows=rows,
                 hint=hint, magnitude=magnitude, fixed_score=fixed_score, tie_min=tie_min)


def settle_small_parts(sub: Component, lower: np.ndarray, upper: np.ndarray,
                       most: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The core's small parts decided by enumeration: bounds with them fixed, None if one is infeasible.

    Fixed variables link nothing, so a core falls apart into independent parts (most of a
    lookahead's cores are a few counters each, their copies fixed by the reduced costs). The
    lexicographic optimum (score, then ties) of independent parts is each part's own, so a
    part of at most `most` 0/1 variables is solved here by trying every assignment, and only
    the rest goes to CP-SAT. Among assignments equal in score and ties the first is taken.
    """
    free = lower < upper
    if not free.any():
        return lower, upper
    n_rows = len(sub.lo)
    rows = LinearRows(lower=lower, upper=upper, start=np.searchsorted(sub.e_row, np.arange(n_rows + 1)),
                      var=sub.e_var, coef=sub.e_coef, lo=sub.lo, hi=sub.hi)
    labels = component_labels(rows, free)
    n_parts = int(labels.max()) + 1
    size = np.bincount(labels[free], minlength=n_parts)
    wide = np.bincount(labels[free & ((lower != 0) | (upper != 1))], minlength=n_parts) > 0
    small = (size <= most) & ~wide
    if not small.any() or max(int(np.abs(sub.score).max(initial=0)), int(np.abs(sub.ties).max(initial=0))) >= 2 ** 54:
        return lower, upper
    # Each small part's variables in a row of `width` slots (unused slots held at 0).
    width = int(size[small].max())
    in_small = np.flatnonzero(free & small[np.maximum(labels, 0)])
    in_small = in_small[np.argsort(labels[in_small], kind="stable")]
    parts = np.flatnonzero(small)
    part_row = np.full(n_parts, -1, np.int64)
    part_row[parts] = np.arange(len(parts))
    slot = np.arange(len(in_small)) - np.searchsorted(labels[in_small], labels[in_small])
    grid = np.full((len(parts), width), -1, np.int64)
    grid[part_row[labels[in_small]], slot] = in_small
    assign = (np.arange(2 ** width)[:, None] >> np.arange(width)) & 1            # (2^w, w)
    used = grid >= 0
    ok = ~np.any(assign[None, :, :] & ~used[:, None, :], axis=2)                 # unused slots stay 0
    safe = np.maximum(grid, 0)
    score = np.where(used, sub.score[safe], 0) @ assign.T                       # (parts, 2^w), exact
    ties = np.where(used, sub.ties[safe], 0) @ assign.T
    # Rows: each holds free variables of one part only; the fixed ones are constants.
    const = np.zeros(n_rows, np.int64)
    fixed_entry = ~free[sub.e_var]
    np.add.at(const, sub.e_row[fixed_entry], sub.e_coef[fixed_entry] * lower[sub.e_var[fixed_entry]])
    entry = np.flatnonzero(~fixed_entry & small[np.maximum(labels[sub.e_var], 0)])
    mine = np.unique(sub.e_row[entry])
    local = np.searchsorted(mine, sub.e_row[entry])
    position = np.zeros(len(lower), np.int64)
    position[in_small] = slot
    act = np.zeros((len(mine), 2 ** width), np.int64)
    np.add.at(act, local, sub.e_coef[entry][:, None] * assign[:, position[sub.e_var[entry]]].T)
    lo, hi = sub.lo[mine], sub.hi[mine]
    holds = ((lo == INT_MIN)[:, None] | (act >= (lo - const[mine])[:, None])) & \
        ((hi == INT_MAX)[:, None] | (act <= (hi - const[mine])[:, None]))
    broken = np.zeros_like(ok, dtype=np.int64)
    row_part = np.zeros(len(mine), np.int64)
    row_part[local] = part_row[labels[sub.e_var[entry]]]
    np.add.at(broken, row_part, ~holds)
    ok &= broken == 0
    if not ok.any(axis=1).all():
        return None
    least = np.iinfo(np.int64).min
    top = np.where(ok, score, least).max(axis=1)
    ok &= score == top[:, None]
    best_ties = np.where(ok, ties, least).max(axis=1)
    choice = np.argmax(ok & (ties == best_ties[:, None]), axis=1)
    lower, upper = lower.copy(), upper.copy()
    values = assign[choice]
    lower[grid[used]] = values[used]
    upper[grid[used]] = values[used]
    return lower, upper


_BOOLEAN = "variables { domain: [0, 1] }\n"


def _run_cores(p: LevelProblem, cores: list[Core], deadline: float,
               stop: Stop | None) -> tuple[str, np.ndarray | None, float]:
    """One CP-SAT solve of independent cores: each maximises K·score + ties (K > its Σ ties).

    The objectives add up and no row links two cores, so the sum's optimum is every core's own
    lexicographic optimum. A core whose K·score would not fit in int64 is solved in two steps
    (score, then ties with the score kept) instead. Returns the status, the values of the free
    variables, and — for one core — an upper bound on its component's score in the core.
    """
    offset = 0
    var_parts, row_parts, obj_vars, obj_coefs, hint_vars, hint_values = [], [], [], [], [], []
    two_step = len(cores) == 1 and cores[0].magnitude >= 2.0 ** SAFE_BITS
    for core in cores:
        n = len(core.free)
        core.slot = slice(offset, offset + n)
        if np.all(core.lower == 0) and np.all(core.upper == 1):
            var_parts.append(_BOOLEAN * n)
        else:
            var_parts.extend(f"variables {{ domain: [{a}, {b}] }}\n" for a, b in zip(core.lower.tolist(), core.upper.tolist()))
        for variables, coefs, lo, hi in core.rows:
            row_parts.append(f"constraints {{ linear {{ vars: {[v + offset for v in variables] if offset else variables} "
                             f"coeffs: {coefs} domain: [{lo}, {hi}] }} }}\n")
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
    status, found, top = _cp_sat(p, text, obj_vars, obj_coefs, hint_vars, hint_values, deadline, stop)
    bound = math.inf
    if len(cores) == 1 and math.isfinite(top):
        core = cores[0]
        k = 1 if two_step else int(core.ties.sum()) + 1
        # top ≥ K·score + ties over the core, and ties ≥ tie_min: score ≤ (top − tie_min) / K.
        bound = float(math.floor((top - (0 if two_step else core.tie_min)) / k + 1e-9) + core.fixed_score)
    if not two_step or found is None or status != "OPTIMAL":
        return status, found, bound
    core = cores[0]
    best = int(core.score @ found)
    keep = f"constraints {{ linear {{ vars: {list(range(len(core.free)))} coeffs: {core.score.tolist()} " \
           f"domain: [{best}, {best}] }} }}\n"
    nz = np.flatnonzero(core.ties)
    status2, found2, _ = _cp_sat(p, text + keep, nz.tolist(), (-core.ties[nz]).tolist(),
                                 list(range(len(core.free))), found.tolist(), deadline, stop)
    bound = float(best + core.fixed_score)
    if found2 is None:
        return "FEASIBLE", found, bound
    return status2, found2, bound


def _cp_sat(p: LevelProblem, text: str, obj_vars: list[int], obj_coefs: list[int], hint_vars: list[int],
            hint_values: list[int], deadline: float, stop: Stop | None) -> tuple[str, np.ndarray | None, float]:
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
    parameters.max_time_in_seconds = max(0.01, deadline - time.perf_counter())
    parameters.random_seed = int(p.seed)
    parameters.log_search_progress = p.log_progress
    # Ctrl-C stays Python's: the scheduler stops every running solve and says "interrupted".
    parameters.catch_sigint_signal = False
    wrapper = cmh.SolveWrapper()
    wrapper.set_parameters(parameters)
    if stop is not None and not stop.register(wrapper):
        return "UNKNOWN", None, math.nan
    try:
        response = wrapper.solve(proto)
    finally:
        if stop is not None:
            stop.release(wrapper)
    status = response.status
    if status == cp_model.MODEL_INVALID:
        raise PlannerError("CP-SAT says a core model is invalid (a bug — please report it)")
    if status == cp_model.INFEASIBLE:
        return "INFEASIBLE", None, math.nan
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "UNKNOWN", None, math.nan
    name = "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE"
    # CP-SAT minimises −objective: minus its bound bounds the objective from above.
    return name, np.array(response.solution, dtype=np.int64), -float(response.best_objective_bound)

