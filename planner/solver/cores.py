"""CP-SAT on the cores of components: the only place the fast path calls the CP-SAT engine.

Owns the parameters of every core solve (chosen by measurement, `PARAMETERS`), writing a core
(a component restricted by reduced-cost fixing) as a CP-SAT model, solving small cores together
and large ones alone, and the exact lexicographic tie-break in one solve.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from planner.errors import PlannerError
from planner.model import INT_MAX, INT_MIN
from planner.solver._base import Component, LevelProblem

# CP-SAT parameters of every core solve, chosen by measurement on this project's instances
# (benchmarks/README.md): one worker with the richer LP relaxation (linearization level 2) and
# pseudo-cost branching proves the knapsack-like cores fastest — CP-SAT's default single worker
# did not prove the funded Jilin round in 60 s, its 2-worker portfolio was slower still;
# parallelism comes from solving independent components side by side instead.
PARAMETERS = {"num_workers": 1, "linearization_level": 2, "search_branching": cp_model.PSEUDO_COST_SEARCH,
              "use_objective_lb_search": True}


SAFE_BITS = 62              # |K × score| + ties must stay inside int64 for one-solve tie-breaks


def solve_job(p: LevelProblem, parts: list[tuple[int, Component, tuple[np.ndarray, np.ndarray]]]
               ) -> dict[int, tuple[str, np.ndarray | None]]:
    """Solve the cores of some components in one CP-SAT model (one by one if that fails)."""
    out: dict[int, tuple[str, np.ndarray | None]] = {}
    pending = []
    for c, sub, (lower, upper) in parts:
        sub.solves += 1
        core = make_core(sub, lower, upper)
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
    return Core(values=values, free=idx, lower=lower[idx], upper=upper[idx], score=score, ties=ties, rows=rows,
                 hint=hint, magnitude=magnitude)


def _run_cores(p: LevelProblem, cores: list[Core]) -> tuple[str, np.ndarray | None]:
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


def _cp_sat(p: LevelProblem, text: str, obj_vars: list[int], obj_coefs: list[int], hint_vars: list[int],
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

