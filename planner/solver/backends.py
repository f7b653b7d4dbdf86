"""Which engine solves a model: CP-SAT (the default, `solver.cpsat`) or HiGHS (`solver.highs`).

Both go through the same level loop and the same components (`solver.cpsat.solve_model`):
the HiGHS backend only changes what solves each component."""
from __future__ import annotations

from planner.errors import PlannerError
from planner.model import Model
from planner.solver._base import Solution
from planner.solver.cpsat import solve_model

BACKENDS = ("cpsat", "highs")


def solve_with(backend: str, model: Model, **options) -> Solution:
    """Solve with the chosen backend: ``"cpsat"`` (the default, `solve_model`) or ``"highs"``
    (`solve_model_highs`, the same model and components solved by HiGHS, audited the same way).

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
        return solve_model_highs(model, **options)
    raise PlannerError(f'unknown backend "{backend}": expected one of {", ".join(BACKENDS)}')



def solve_model_highs(model: Model, **options) -> Solution:
    """The model's levels by components, every component by HiGHS (`highs.solve_component`):
    the same decomposition, time limit and FEASIBLE-with-gap contract as `solve_model`.

    Raises
    ------
    PlannerError
        highspy is not installed.
    """
    from planner.solver.highs import available
    if not available():
        raise PlannerError("the HiGHS backend needs highspy: pip install highspy")
    return solve_model(model, engine="highs", **options)
