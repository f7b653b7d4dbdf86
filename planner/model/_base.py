"""The types the model's modules share: a built `Model`, its `Constraint`s and `Objective` levels.

Owns the data: what a built model holds so that solvers, explanations and what-if sessions
can read a solution back onto the candidate rows, name a constraint's rule and group, and edit a
bound in place; and the bulk writers the builders share (`add_bool_vars`, `add_constraints_text`,
`add_linear`: variables and constraints appended to the proto in bulk, exactly as CpModel's
one-at-a-time calls write them). Building is `model.build`, the objectives
`model.objective`.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.rules import Group, Scenario

_UNSAFE_NAME = re.compile('["\\\\\x00-\x1f\x7f\ud800-\udfff]')     # would need escaping in the proto's text form


def add_bool_vars(cp: cp_model.CpModel, names: list[str]) -> list[cp_model.IntVar]:
    """Boolean variables named `names`, appended to the model in one step.

    The same variables as ``[cp.new_bool_var(name) for name in names]`` (same proto: domain
    [0, 1], the name), but parsed by CP-SAT's C++ from one text block instead of a few Python
    calls per variable — what keeps a build with thousands of candidates a small part of the solve
    (written without blanks: the parser reads it faster).
    """
    proto = cp.Proto()
    first = len(proto.variables)
    if not _UNSAFE_NAME.search("".join(names)):
        unsafe = []
        proto.merge_text_format("".join(['variables{name:"' + name + '"domain:[0,1]}' for name in names]))
    else:
        unsafe = [k for k, name in enumerate(names) if _UNSAFE_NAME.search(name)]
        skip = set(unsafe)
        proto.merge_text_format("".join(
            "variables{domain:[0,1]}" if k in skip else 'variables{name:"' + name + '"domain:[0,1]}'
            for k, name in enumerate(names)))
    for k in unsafe:                # quotes, backslashes, control characters: set as they are
        proto.variables[first + k].name = names[k]
    return list(map(cp_model.IntVar, itertools.repeat(proto, len(names)), range(first, first + len(names))))


def add_constraints_text(cp: cp_model.CpModel, text: str) -> None:
    """Append constraints written in the proto's text form (``constraints { ... }`` blocks, no names)."""
    if text:
        cp.Proto().merge_text_format(text)


def add_linear(cp: cp_model.CpModel, variables: np.ndarray, coefs: np.ndarray, lo: int, hi: int,
               enforcement: int | None = None, *, plain: bool = False) -> int:
    """Append ``lo ≤ Σ coefs·variables ≤ hi`` (enforced by the literal `enforcement`, if given)
    as ``CpModel.add`` writes it — the terms by variable index, a variable's coefficients summed,
    zero coefficients dropped — straight into the proto (`variables` are proto indices, `coefs`
    integers), without one Python object per term. ``plain``: the caller knows them int64 arrays,
    the variables strictly increasing and no coefficient zero (nothing to sort, sum or drop).
    Returns the constraint's index."""
    if not plain:
        variables = np.asarray(variables, dtype=np.int64)
        coefs = np.asarray(coefs, dtype=np.int64)
        if len(variables) > 1 and not np.all(variables[1:] > variables[:-1]):
            variables, at = np.unique(variables, return_inverse=True)
            summed = np.zeros(len(variables), dtype=np.int64)
            np.add.at(summed, at.ravel(), coefs)
            coefs = summed
        if not coefs.all():
            variables, coefs = variables[coefs != 0], coefs[coefs != 0]
    constraints = cp.Proto().constraints
    index = len(constraints)
    ct = constraints.add()
    if enforcement is not None:
        ct.enforcement_literal.append(enforcement)
    linear = ct.linear
    linear.vars.extend(variables.tolist())
    linear.coeffs.extend(coefs.tolist())
    linear.domain.extend([lo, hi])
    return index


class LazyExpr:
    """A linear expression made only when it is read: ``Σ units[rows]·variables[rows] + constant``
    (`Constraint.expr` of a bound written to the proto in bulk; most solves never read it)."""

    __slots__ = ("variables", "units", "rows", "constant")

    def __init__(self, variables: np.ndarray, units: np.ndarray, rows: np.ndarray, constant: int):
        self.variables, self.units, self.rows, self.constant = variables, units, rows, constant

    def make(self) -> cp_model.LinearExprT:
        return (cp_model.LinearExpr.weighted_sum(self.variables[self.rows].tolist(), self.units[self.rows].tolist())
                + self.constant)


@dataclass
class Objective:
    """One lexicographic level: maximise `expr`, then (exactly) the tie-break priorities."""

    name: str
    expr: cp_model.LinearExprT
    units: Fraction                  # model integers per score point
    variables: list                  # the decision variables this level chooses
    ties: list[int]                  # tie-break priority per variable ([] = no tie-break)


@dataclass
class Constraint:
    """One bound of one rule group as it stands in the model (for slack, conflicts, relaxation).

    ``kind`` says which count it bounds: ``"round"`` this round's (locked history + this year
    for period rules, this year for year rules, as before any lookahead); ``"period"`` a period
    quota over locked + this year + every planned year; ``"reach"`` a `by` minimum of a later
    year over locked + this year + the years planned up to it; ``"year"`` a year rule in one
    planned year. ``year`` is the year whose count is bounded.
    """

    group: Group
    bound: str                      # "min" or "max"
    limit: float                    # in the measure's own units
    scale: int                      # measure units → model integers
    expr: cp_model.LinearExprT
    constant: int                   # locked history's share of expr (already inside expr)
    slack: cp_model.IntVar | None   # soft rules: units of violation (scaled)
    literal: cp_model.IntVar | None = None   # enforcement literal when built with assumptions
    kind: str = "round"
    year: int | None = None
    index: int | None = None        # the proto constraint it is (None: not recorded)


def _expr_of(self: Constraint) -> cp_model.LinearExprT:
    expr = self.__dict__["_expr"]
    if isinstance(expr, LazyExpr):
        expr = self.__dict__["_expr"] = expr.make()
    return expr


def _set_expr(self: Constraint, expr: cp_model.LinearExprT | LazyExpr) -> None:
    self.__dict__["_expr"] = expr


# `Constraint.expr` may be given as a LazyExpr: it becomes the expression on first reading.
Constraint.expr = property(_expr_of, _set_expr, doc="The bounded count as a linear expression (made on first use).")


@dataclass
class Model:
    """A built model and everything needed to read a solution back onto the candidate frame.

    ``frame`` is the input frame followed by the planned (forecast) rows of the lookahead, if
    any: rows ``[:n_input]`` are the input's, ``planned`` marks the others.
    """

    cp: cp_model.CpModel
    frame: pd.DataFrame
    scenario: Scenario
    free: np.ndarray                # rows with a select variable
    select: np.ndarray              # object array: IntVar at free rows, None elsewhere
    national: np.ndarray            # object array: IntVar where a national rule may count the row
    may_national: np.ndarray        # rows with a national variable
    locked: np.ndarray              # rows selected in locked earlier years (count in period rules)
    locked_national: np.ndarray
    constraints: list[Constraint]
    objectives: list[Objective]
    build_s: float = 0.0
    assumptions: dict[int, Constraint] = field(default_factory=dict)   # literal index → constraint
    pin_literals: dict[int, str] = field(default_factory=dict)         # literal index → candidate_id
    link_literals: dict = field(default_factory=dict)   # (link column, row) → the AND literal of a linked count
    planned: np.ndarray | None = None        # rows of the lookahead (tentative picks of later years)
    plan_year: np.ndarray | None = None      # planned year per row (0 for rows of the input)
    plan_source: np.ndarray | None = None    # id of the row a planned row was copied from ("" otherwise)
    n_input: int = 0
    history_rows: np.ndarray | None = None   # every row of the locked rounds (selected or not)

    def __post_init__(self) -> None:
        n = len(self.frame)
        if self.history_rows is None:
            self.history_rows = self.locked.copy()
        if self.planned is None:
            self.planned = np.zeros(n, bool)
        if self.plan_year is None:
            self.plan_year = np.zeros(n, np.int64)
        if self.plan_source is None:
            self.plan_source = np.full(n, "", dtype=object)
        if not self.n_input:
            self.n_input = int(n - self.planned.sum())

    @property
    def this_year(self) -> np.ndarray:
        """Rows this round decides (of the scenario year, not locked, not planned)."""
        return (self.frame["year"] == self.scenario.year).to_numpy() & ~self.locked & ~self.planned

