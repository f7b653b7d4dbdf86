"""A what-if session's kept model: its group bounds found in the proto and rewritten, copies for results.

Owns what `api.whatif.Session` does to a built model between re-solves: what the model's
structure depends on (`shape_of`: the scenario without its bounds), a bound in model integers
(`scaled`, `domain_of`), the proto constraint of every group bound (`match_constraints`), a copy
of the model a result keeps (`result_copy`) and the re-solve through the door (`solve_kept`).
Does not own the session (`api.whatif`), building (`model`) nor solving (`solver`).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model_helper import FlatIntExpr

from planner.model import Model
from planner.rules import Scenario
from planner.solver import Solution, solve_model


def shape_of(scenario: Scenario) -> Scenario:
    """What a model's structure depends on: the scenario with every rule's bounds removed."""
    rules = tuple(dataclasses.replace(r, min=None, max=None, line=None) for r in scenario.rules)
    return dataclasses.replace(scenario, rules=rules, name="", source=None, edits=())


def scaled(limit: float, scale: int, bound: str) -> int:
    """A bound in model integers, rounded as `model` rounds it (inwards)."""
    return math.ceil(limit * scale - 1e-9) if bound == "min" else math.floor(limit * scale + 1e-9)


def domain_of(value: int, bound: str) -> list[int]:
    return [value, cp_model.INT_MAX] if bound == "min" else [cp_model.INT_MIN, value]


def limit_of(bound: Any, key: str) -> float | None:
    """A Bound's value for one group (None: no bound)."""
    return None if bound is None else bound.for_group(key)


def match_constraints(model: Model) -> tuple[list[int], list[int]] | None:
    """The proto index and constant of every entry of `model.constraints`, or None.

    A constraint is recognised, in build order, by its bound and its terms: those of its
    expression, exactly, plus its own slack and possibly other slack variables (a period
    quota's soft excess over this round's). Uses `Constraint.index` when the model records it.
    """
    proto = model.cp.proto
    names = [v.name for v in proto.variables]
    n = len(proto.constraints)
    index, offsets = [], []
    p = 0
    for c in model.constraints:
        flat = FlatIntExpr(c.expr)
        terms = {v.index: int(k) for v, k in zip(flat.vars, flat.coeffs)}
        if c.slack is not None:
            terms[c.slack.index] = 1 if c.bound == "min" else -1
        offset = int(flat.offset)
        domain = domain_of(scaled(c.limit, c.scale, c.bound) - offset, c.bound)
        known = getattr(c, "index", None)
        for q in ([known] if isinstance(known, int) and known >= 0 else range(p, n)):
            pc = proto.constraints[q]
            if not pc.has_linear() or list(pc.linear.domain) != domain or len(pc.linear.vars) < len(terms):
                continue
            found = dict(zip(pc.linear.vars, pc.linear.coeffs))
            if any(found.get(v) != k for v, k in terms.items()):
                continue
            if any(not names[v].startswith("slack[") for v in found.keys() - terms.keys()):
                continue
            index.append(q)
            offsets.append(offset)
            p = q + 1
            break
        else:
            return None
    return index, offsets


def result_copy(model: Model, scenario: Scenario) -> Model:
    """A copy of the kept model for a result: later in-place edits never reach an earlier result."""
    return dataclasses.replace(model, cp=model.cp.clone(), scenario=scenario, constraints=list(model.constraints),
                               assumptions=dict(model.assumptions), pin_literals=dict(model.pin_literals))


def solve_kept(model: Model, *, parameters: Mapping[str, Any] | None, **kwargs: Any) -> Solution:
    """`solve_model`, with the re-solve's ``num_workers`` (if set) as its thread count; ``warm`` and
    ``changed`` (the constraints edited since the warm solve) re-solve only what they reach."""
    if parameters and "num_workers" in parameters:
        kwargs["workers"] = int(parameters["num_workers"])
    return solve_model(model, **kwargs)
