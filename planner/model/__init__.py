"""The model: a round's rules turned into a CP-SAT model (`build`), its objectives and exact
tie-break (`objective`), and the structure read off it — linear rows and independent
components (`components`).

Builds models; never solves them (that is `planner.solver`, the one door to the solver).
"""
from planner.model._base import Constraint, Model, Objective
from planner.model.build import build_model
from planner.model.objective import integer_scale, tie_weight
from planner.model.components import (
    INT_MAX,
    INT_MIN,
    LinearRows,
    Split,
    Unsupported,
    component_labels,
    constraint_kind,
    constraint_refs,
    linear_terms,
    read_rows,
    ref_var,
    sub_model,
)

__all__ = ["Constraint", "Model", "Objective", "build_model", "integer_scale", "tie_weight", "INT_MAX", "INT_MIN",
           "LinearRows", "Split", "Unsupported", "component_labels", "constraint_kind", "constraint_refs",
           "linear_terms", "read_rows", "ref_var", "sub_model"]






