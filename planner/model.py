"""The CP-SAT model of a recommendation round, built vectorised from rules as data.

Owns turning (candidates, scenario) into a `cp_model.CpModel`: one Boolean `select[ID]` per
candidate that can be chosen this year, one `national[ID]` where a national rule may count it,
one linear constraint per rule group (period rules also count locked earlier years), slack
variables for soft rules, and the objective terms. Does not own solving (`solve`) nor the
check of a slate (`audit`, which never imports this module).
"""
from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from .availability import blocked_reason, pinned_in
from .groups import Group, measure_values, numeric_column, rule_groups
from .policy import Rule, Scenario

log = logging.getLogger(__name__)

MAX_DECIMALS = 6
TIE_BITS = 20


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
    """One bound of one rule group as it stands in the model (for slack, conflicts, relaxation)."""

    group: Group
    bound: str                      # "min" or "max"
    limit: float                    # in the measure's own units
    scale: int                      # measure units → model integers
    expr: cp_model.LinearExprT
    constant: int                   # locked history's share of expr (already inside expr)
    slack: cp_model.IntVar | None   # soft rules: units of violation (scaled)
    literal: cp_model.IntVar | None = None   # enforcement literal when built with assumptions


@dataclass
class Model:
    """A built model and everything needed to read a solution back onto the candidate frame."""

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
    objectives: list["Objective"]
    build_s: float = 0.0
    assumptions: dict[int, Constraint] = field(default_factory=dict)   # literal index → constraint
    pin_literals: dict[int, str] = field(default_factory=dict)         # literal index → candidate_id


def build_model(frame: pd.DataFrame, scenario: Scenario, *, locked: np.ndarray | None = None,
                locked_national: np.ndarray | None = None, with_assumptions: bool = False) -> Model:
    """Build the CP-SAT model of one round.

    Parameters
    ----------
    frame : DataFrame
        Candidates after locality folding, one row each: candidate_id, year, task, eligible,
        the objective column and every column a rule names; rows of earlier years may be
        present (locked history) as may forecast rows of later years (never selected).
    scenario : Scenario
    locked, locked_national : ndarray of bool, optional
        Rows selected (recommended nationally) in earlier, locked rounds.
    with_assumptions : bool
        Give every hard group bound and every pin an enforcement literal and make them
        assumptions, so an infeasible model can name its conflicting rules.
    """
    start = time.perf_counter()
    n = len(frame)
    locked = np.zeros(n, bool) if locked is None else np.asarray(locked, bool)
    locked_national = np.zeros(n, bool) if locked_national is None else np.asarray(locked_national, bool)
    cp = cp_model.CpModel()
    cp.name = scenario.name
    ids = frame["candidate_id"].astype(str)

    free = (blocked_reason(frame, scenario) == "").to_numpy() & ~locked
    select = np.full(n, None, dtype=object)
    if free.any():
        select[free] = cp.new_bool_var_series("select", pd.Index(ids[free].to_numpy())).to_numpy()

    # 二(二): national recommendations are drawn from the provincial slate.
    national_rules = [r for r in scenario.rules if r.decision == "national"]
    national = np.full(n, None, dtype=object)
    may_national = np.zeros(n, bool)
    for rule in national_rules:
        may_national |= _matched(frame, rule)
    may_national &= free
    if may_national.any():
        national[may_national] = cp.new_bool_var_series("national", pd.Index(ids[may_national].to_numpy())).to_numpy()
        for chosen, recommended in zip(select[may_national], national[may_national]):
            cp.add_implication(recommended, chosen)

    model = Model(cp=cp, frame=frame, scenario=scenario, free=free, select=select, national=national,
                  may_national=may_national, locked=locked, locked_national=locked_national, constraints=[], objectives=[])

    pins = pinned_in(frame, scenario) & free
    for pos in np.flatnonzero(pins):
        if with_assumptions:
            lit = cp.new_bool_var(f"pin[{ids.iat[pos]}]")
            cp.add(select[pos] == 1).only_enforce_if(lit)
            model.pin_literals[lit.index] = ids.iat[pos]
        else:
            cp.add(select[pos] == 1)

    penalties: list[tuple[cp_model.IntVar, Fraction]] = []
    for rule in scenario.rules:
        if rule.decision == "filing":
            continue
        _add_rule(model, rule, penalties, with_assumptions)

    _set_objectives(model, penalties)
    if with_assumptions:
        cp.add_assumptions([cp.get_bool_var_from_proto_index(i) for i in (*model.assumptions, *model.pin_literals)])
    model.build_s = time.perf_counter() - start
    log.info("model built: %d select, %d national variables, %d constraints in %.2f s",
             int(free.sum()), int(may_national.sum()), len(model.constraints), model.build_s)
    return model


def _matched(frame: pd.DataFrame, rule: Rule) -> np.ndarray:
    from .groups import match
    return match(frame, rule.where)


def _add_rule(model: Model, rule: Rule, penalties: list, with_assumptions: bool) -> None:
    """One linear constraint per group and bound of a rule."""
    frame, scenario = model.frame, model.scenario
    variables = model.national if rule.decision == "national" else model.select
    history = model.locked_national if rule.decision == "national" else model.locked
    this_year = (frame["year"] == scenario.year).to_numpy()
    countable = (this_year | history) if rule.scope == "period" else (this_year & ~history)
    has_variable = model.may_national if rule.decision == "national" else model.free
    values = measure_values(frame, rule)
    units, scale = integer_scale(values)

    for group in rule_groups(frame, rule, scenario, mask=countable):
        rows = group.rows
        var_rows = rows[has_variable[rows]]
        constant = int(units[rows[history[rows]]].sum()) if len(rows) else 0
        expr = cp_model.LinearExpr.weighted_sum(list(variables[var_rows]), [int(u) for u in units[var_rows]]) + constant
        for bound, limit in (("min", group.min), ("max", group.max)):
            if limit is None:
                continue
            scaled = math.ceil(limit * scale - 1e-9) if bound == "min" else math.floor(limit * scale + 1e-9)
            slack = None
            literal = None
            if rule.soft:
                top = int(units[var_rows].sum()) + abs(constant) + abs(scaled)
                slack = model.cp.new_int_var(0, max(top, 0), f"slack[{rule.id}|{group.key}|{bound}]")
                ct = model.cp.add(expr + slack >= scaled) if bound == "min" else model.cp.add(expr - slack <= scaled)
                penalties.append((slack, Fraction(rule.soft_weight).limit_denominator(10_000) / scale))
            else:
                ct = model.cp.add(expr >= scaled) if bound == "min" else model.cp.add(expr <= scaled)
                if with_assumptions:
                    literal = model.cp.new_bool_var(f"hold[{rule.id}|{group.key}|{bound}]")
                    ct.only_enforce_if(literal)
            c = Constraint(group=group, bound=bound, limit=limit, scale=scale, expr=expr, constant=constant,
                           slack=slack, literal=literal)
            model.constraints.append(c)
            if literal is not None:
                model.assumptions[literal.index] = c


def _set_objectives(model: Model, penalties: list[tuple[cp_model.IntVar, Fraction]]) -> None:
    """The objectives, in the order `solve` applies them.

    1. ``score``: total score of the provincial slate minus soft-rule penalties (exact integers),
       ties broken by a fixed priority per candidate (``tie_break``);
    2. ``national_score``: with the provincial slate fixed, the best national picks from it
       (二(二) 国家级项目…在省级项目库中择优推荐), ties broken the same way.
    """
    frame, scenario = model.frame, model.scenario
    score = numeric_column(frame, scenario.maximise)
    score_units, score_scale = integer_scale(score)
    free = np.flatnonzero(model.free)
    ids = frame["candidate_id"].astype(str).to_numpy()
    use_ties = scenario.tie_break == "id_hash"

    pen = [w * score_scale for _, w in penalties]
    lcm = math.lcm(*(f.denominator for f in pen)) if pen else 1
    coefs = [int(score_units[i]) * lcm for i in free]
    expr = cp_model.LinearExpr.weighted_sum(list(model.select[free]), coefs)
    magnitude = sum(abs(c) for c in coefs)
    if penalties:
        pcoefs = [int(p * lcm) for p in pen]
        expr -= cp_model.LinearExpr.weighted_sum([s for s, _ in penalties], pcoefs)
        magnitude += sum(abs(c) * s.proto.domain[-1] for c, (s, _) in zip(pcoefs, penalties))
    ties = [tie_weight(ids[i], _tie_bits(magnitude, len(free))) for i in free] if use_ties else []
    model.objectives.append(Objective("score", expr, Fraction(score_scale * lcm), list(model.select[free]), ties))

    nat = np.flatnonzero(model.may_national)
    if len(nat):
        ncoefs = [int(score_units[i]) for i in nat]
        nexpr = cp_model.LinearExpr.weighted_sum(list(model.national[nat]), ncoefs)
        nties = [tie_weight("national:" + ids[i], _tie_bits(sum(ncoefs), len(nat))) for i in nat] if use_ties else []
        model.objectives.append(Objective("national_score", nexpr, Fraction(score_scale), list(model.national[nat]),
                                          nties))


def _tie_bits(magnitude: int, n: int) -> int:
    """Bits of tie-break priority that keep |objective| × (Σ priorities) inside 2^53 (exact in floating point)."""
    room = 53 - math.log2(max(1, magnitude) + 1) - math.log2(max(1, n))
    return int(max(1, min(TIE_BITS, math.floor(room))))


def tie_weight(candidate_id: str, bits: int = 20) -> int:
    """A fixed pseudo-random priority from the id alone: independent of row order, seed and workers."""
    return 1 + (int.from_bytes(hashlib.sha256(candidate_id.encode("utf-8")).digest()[:8], "big") >> (64 - bits))


def integer_scale(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Exact integers for decimal data: (values × 10^d, 10^d) with the fewest decimals d that fit."""
    finite = np.nan_to_num(np.asarray(values, dtype=float))
    for d in range(MAX_DECIMALS + 1):
        scaled = finite * 10**d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return np.round(scaled).astype(np.int64), 10**d
    log.warning("values with more than %d decimals are rounded to %d decimals", MAX_DECIMALS, MAX_DECIMALS)
    return np.round(finite * 10**MAX_DECIMALS).astype(np.int64), 10**MAX_DECIMALS
