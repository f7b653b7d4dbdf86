"""A CP-SAT model solved as it stands: the door for callers that build a model of their own.

Owns `solve_cp` — one solve of a `cp_model.CpModel` (its objective, hints and assumptions as
the caller set them) with a time limit, seed, worker count and a named set of parameters — and
`CpOutcome`, what it found: status, values, objective, bound and, for an infeasible model with
assumptions, a sufficient subset of them. Conflict search, alternative optima and the equity
analysis build such models; the parameters each kind of model is solved best with were chosen
by measurement and live here (`PRESETS`), beside the fast path's own (`solver.cores`).

Does not own models of a round (`model`) nor the fast path over their linear rows
(`solver.cpsat`, `solver.levels`), which callers should prefer wherever their model is a round's.
"""
from __future__ import annotations

import concurrent.futures
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model, cp_model_helper

from planner.errors import PlannerError

#: Parameters by the kind of model, each chosen by measurement on this project's instances.
PRESETS: dict[str, dict[str, Any]] = {
    # CP-SAT's own defaults.
    "default": {},
    # Hard bounds with enforcement literals (conflict search): they enter the LP relaxation only
    # at linearization level 2; with the assumption literals fixed at the root that LP is the
    # original one and proves a quota conflict in a tenth of a second (at the default level, not
    # in minutes).
    "assumptions": {"linearization_level": 2},
    # A small part re-solved many times from the slate's hint (counterfactuals, alternatives):
    # mostly set-up; presolve (which also loses much of the hint's value), probing and symmetry
    # detection cost more than they save (measured on the 2023 round).
    "small_part": {"cp_model_presolve": False, "cp_model_probing_level": 0, "symmetry_level": 0},
    # The same part with its optimum held by an equality and no-good cuts added one by one
    # (alternative optima): that equality is worth presolving.
    "enumeration": {"cp_model_probing_level": 0, "symmetry_level": 0},
    # Knapsack-like models over a round's rows: the richer LP relaxation and pseudo-cost
    # branching prove them fastest (see `solver.cores.PARAMETERS`).
    "rows": {"linearization_level": 2, "search_branching": cp_model.PSEUDO_COST_SEARCH},
}

STATUS_NAMES = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE",
                cp_model.UNKNOWN: "UNKNOWN", cp_model.MODEL_INVALID: "MODEL_INVALID"}


@dataclass
class CpOutcome:
    """What one CP-SAT solve found.

    Attributes
    ----------
    status : str
        ``OPTIMAL``, ``FEASIBLE`` (time ran out with a solution), ``INFEASIBLE`` or ``UNKNOWN``.
    values : ndarray of int64 or None
        A value per proto variable (None without a solution).
    objective, bound : float
        Objective value and best bound, in the model's own units (NaN without an objective).
    core : list of int
        For an infeasible model solved with assumptions: proto indices of a sufficient subset of
        the assumption literals (empty otherwise).
    wall_s : float
    """

    status: str
    values: np.ndarray | None
    objective: float = math.nan
    bound: float = math.nan
    core: list[int] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def found(self) -> bool:
        return self.values is not None

    def value(self, expr: Any) -> int:
        """The value of a variable, literal or linear expression of the solved model."""
        if self.values is None:
            raise PlannerError("no solution to read a value from")
        if isinstance(expr, (int, np.integer)):
            return int(expr)
        flat = cp_model_helper.FlatIntExpr(expr)
        index = np.fromiter((v.index for v in flat.vars), dtype=np.int64, count=len(flat.vars))
        coefs = np.fromiter((int(c) for c in flat.coeffs), dtype=np.int64, count=len(flat.vars))
        return int(coefs @ self.values[index]) + int(flat.offset)


def parameters_of(preset: str) -> dict[str, Any]:
    if preset not in PRESETS:
        raise PlannerError(f'unknown CP-SAT preset "{preset}": expected one of {", ".join(PRESETS)}')
    return PRESETS[preset]


def solve_cp(cp: cp_model.CpModel, *, time_limit_s: float, seed: int = 0, workers: int = 1,
             preset: str = "default", log_progress: bool = False) -> CpOutcome:
    """Solve `cp` as it stands (objective, hints and assumptions as set on it).

    Parameters
    ----------
    time_limit_s : float
        Wall-clock limit (at least 0.01 s is given).
    seed : int
        CP-SAT ``random_seed``.
    workers : int
        CP-SAT ``num_workers`` (0 = every core).
    preset : str
        A key of `PRESETS`: the parameters for this kind of model.

    Raises
    ------
    PlannerError
        CP-SAT calls the model invalid (a bug in the caller's model).
    """
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, float(time_limit_s))
    solver.parameters.random_seed = int(seed)
    solver.parameters.num_workers = int(workers)
    solver.parameters.log_search_progress = log_progress
    for key, value in parameters_of(preset).items():
        setattr(solver.parameters, key, value)
    code = solve_stoppable(solver, cp)
    status = STATUS_NAMES.get(code, "UNKNOWN")
    if status == "MODEL_INVALID":
        raise PlannerError(f"CP-SAT says a model is invalid (a bug — please report it): {cp.validate()}")
    outcome = CpOutcome(status=status, values=None, wall_s=float(solver.wall_time))
    if status in ("OPTIMAL", "FEASIBLE"):
        outcome.values = np.asarray(solver.response_proto.solution, dtype=np.int64)
        if cp.has_objective():
            outcome.objective = float(solver.objective_value)
            outcome.bound = float(solver.best_objective_bound)
    elif status == "INFEASIBLE" and len(cp.proto.assumptions):
        outcome.core = [int(i) for i in solver.sufficient_assumptions_for_infeasibility()]
    return outcome


def solve_stoppable(solver: cp_model.CpSolver, cp: cp_model.CpModel) -> int:
    """``solver.solve(cp)`` that Ctrl-C stops at once, in every thread.

    CP-SAT's own SIGINT handler is switched off: it stops the search without telling Python
    (so Ctrl-C went unheard through a diagnosis of many solves), resets SIGINT to the system
    default, and aborts the process (``std::bad_function_call``) when the signal reaches a
    thread other than the one solving (`planner serve`). On the main thread the solve runs on a
    helper thread while this one waits, so KeyboardInterrupt comes at once; the search is then
    stopped and the interrupt goes on.
    """
    solver.parameters.catch_sigint_signal = False
    if threading.current_thread() is not threading.main_thread():
        return solver.solve(cp)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(solver.solve, cp)
        try:
            while True:
                try:
                    return running.result(timeout=0.05)
                except concurrent.futures.TimeoutError:
                    continue
        except KeyboardInterrupt:
            solver.stop_search()
            raise


def deadline_left(deadline: float, floor_s: float = 0.01) -> float:
    """Seconds left until a `time.perf_counter()` deadline, at least `floor_s`."""
    return max(floor_s, deadline - time.perf_counter())
