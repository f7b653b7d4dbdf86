"""Which engine solves a model: CP-SAT (the default, `solver.cpsat`) or HiGHS (`solver.highs`)."""
from __future__ import annotations

from planner.errors import PlannerError
from planner.model import Model
from planner.solver._base import Solution
from planner.solver.cpsat import solve_model

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
        from planner.solver.highs import solve_model_highs
        return solve_model_highs(model, **options)
    raise PlannerError(f'unknown backend "{backend}": expected one of {", ".join(BACKENDS)}')

